import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { render } from '../helpers/cli.js';

describe('the committed JSON Schema', () => {
  it('is exactly what `render schema` prints (regenerate: render schema > schema/render-spec.schema.json)', async () => {
    const r = await render(['schema']);
    expect(r.code).toBe(0);
    expect(readFileSync(new URL('../../schema/render-spec.schema.json', import.meta.url), 'utf8')).toBe(r.stdout);
  });
});
