import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { render } from '../helpers/cli.js';
import { copyExample } from '../helpers/workspace.js';

describe('apply --mock and uploads', () => {
  it('uploads again on a later run: the embedded server of the earlier run, and its media, are gone', async () => {
    const ws = copyExample();
    const spec = ws.path('specs/teaser.yaml');
    const env = { RENDER_FFMPEG: 'none' };
    const first = await render(['apply', spec, '--mock', '--yes'], env);
    expect(first.code).toBe(0);
    expect(first.stderr + first.stdout).toMatch(/uploaded \S*assets\/hero\.png/);
    writeFileSync(spec, readFileSync(spec, 'utf8').replace('slow dolly in', 'slow dolly out'));
    const second = await render(['apply', spec, '--mock', '--yes'], env);
    expect(second.code).toBe(0);
    expect(second.stderr + second.stdout).toMatch(/uploaded \S*assets\/hero\.png/);
  });
});
