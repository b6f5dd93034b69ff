import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { render } from '../helpers/cli.js';
import { makeWorkspace, SPEC_HEAD } from '../helpers/workspace.js';
import { reviewWorkspace } from './helpers.js';

const NO_FFMPEG = { RENDER_FFMPEG: 'none' };

describe('render report and render cut on the command line', () => {
  it.each(['report', 'cut'])('`render %s --help` says what it does', async (command) => {
    const r = await render([command, '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Usage: render ${command} SPEC [--out FILE]`);
    expect(r.stdout).toContain('--mock');
  });

  it('with nothing rendered yet, says to run apply first', async () => {
    const ws = makeWorkspace();
    const spec = ws.spec(`${SPEC_HEAD}shots:\n  - { id: a, image: img/ok.png, prompt: hi }\n`);
    for (const command of ['report', 'cut']) {
      const r = await render([command, spec], NO_FFMPEG);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('no shot of test has been rendered on https://api.wavespeed.ai yet');
      expect(r.stderr).toContain(`hint: run \`render apply ${spec}\` first (or \`render apply ${spec} --mock\` to try it for free)`);
    }
  });

  it('points at --mock when the campaign was rendered only on the mock server', async () => {
    const { spec } = reviewWorkspace();
    const r = await render(['report', spec], NO_FFMPEG);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('hint: it was rendered on the local mock server: add --mock');
  });

  it('writes the page beside the videos, and without ffmpeg says once that posters are start images', async () => {
    const { ws, spec } = reviewWorkspace();
    const r = await render(['report', spec, '--mock'], NO_FFMPEG);
    expect(r.code).toBe(0);
    const page = ws.path('renders/rev/.mock/index.html');
    expect(r.stdout).toContain(`Wrote ${page}: 6 shots, 3 rendered, 2 failed; no earlier report here to compare with`);
    expect(r.stdout).toContain(`open file://${page}`);
    expect(r.stderr.match(/ffmpeg was not found/g)).toHaveLength(1);
    const html = readFileSync(page, 'utf8');
    expect(html.match(/ffmpeg was not found/g)).toHaveLength(1);
    expect(html).toContain('apt-get install ffmpeg');

    const again = await render(['report', spec, '--mock'], NO_FFMPEG);
    expect(again.stdout).toContain('no earlier report here to compare with');
  });

  it('never writes the page over a file that is not a report', async () => {
    const { ws, spec } = reviewWorkspace();
    const notes = ws.write('notes.html', '<p>mine</p>');
    const r = await render(['report', spec, '--mock', '--out', notes], NO_FFMPEG);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`refusing to write the report over ${notes}: it is not a page \`render report\` wrote`);
    expect(readFileSync(notes, 'utf8')).toBe('<p>mine</p>');
    const mine = ws.path('review/page.html');
    expect((await render(['report', spec, '--mock', '--out', mine], NO_FFMPEG)).code).toBe(0);
    expect((await render(['report', spec, '--mock', '--out', mine], NO_FFMPEG)).code).toBe(0);
  });

  it('cut without ffmpeg says how to install it', async () => {
    const { spec } = reviewWorkspace();
    const r = await render(['cut', spec, '--mock'], NO_FFMPEG);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error: `render cut` needs ffmpeg, and none was found');
    expect(r.stderr).toContain(
      'hint: install ffmpeg (Debian/Ubuntu: apt-get install ffmpeg; macOS: brew install ffmpeg) or the npm package @ffmpeg-installer/ffmpeg',
    );
  });

  it('cut never writes over a rendered output or the spec', async () => {
    const { ws, spec } = reviewWorkspace();
    const output = ws.path('renders/rev/.mock/a-done.mp4');
    const before = readFileSync(output);
    for (const out of [output, spec]) {
      const r = await render(['cut', spec, '--mock', '--out', out], { RENDER_FFMPEG: ws.path('no-such-ffmpeg') });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('(it is the spec, its lockfile or a rendered output)');
    }
    expect(readFileSync(output)).toEqual(before);
    expect(existsSync(ws.path('renders/rev/.mock/rev+cut.mp4'))).toBe(false);
  });
});
