import { describe, expect, it } from 'vitest';
import { render } from '../helpers/cli.js';
import { makeWorkspace, SPEC_HEAD } from '../helpers/workspace.js';

const SHOTS = `shots:\n  - { id: city-paris, image: img/ok.png, prompt: "p" }\n  - { id: city-tokyo, image: img/ok.png, prompt: "t" }\n  - { id: end, image: img/ok.png, prompt: "e" }\n`;

describe('--only', () => {
  it.each([
    ['city-*', ['city-paris', 'city-tokyo']],
    ['end,city-t?kyo', ['city-tokyo', 'end']],
    ['{end,city-paris}', ['city-paris', 'end']],
  ])('%s selects %j', async (glob, ids) => {
    const ws = makeWorkspace();
    const r = await render(['plan', ws.spec(SPEC_HEAD + SHOTS), '--json', '--only', glob]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).shots.map((s: { id: string }) => s.id)).toEqual(ids);
  });

  it.each([
    ['plan', []],
    ['apply', ['--yes']],
  ])('matching no shot is a usage error of %s (exit 2), naming the ids', async (command, extra) => {
    const ws = makeWorkspace();
    const r = await render([command, ws.spec(SPEC_HEAD + SHOTS), '--only', 'citty-*', '--mock', ...extra]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error: --only citty-* matches no shot of the spec\nhint: shot ids: city-paris, city-tokyo, end');
  });
});
