import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { findFfmpeg, probeVideo } from '../../src/util/ffmpeg.js';
import { render } from '../helpers/cli.js';
import { copyExample, type Workspace } from '../helpers/workspace.js';

/**
 * The demo, reviewed end to end: the example campaign applied on the embedded mock server (whose outputs are then
 * animatics of each shot's own images, at each shot's duration), a report, one prompt changed, applied and
 * reported again; then `render cut`, and the page in a real browser (Debian's Chromium, driven by playwright-core
 * with its executable path: no browser download), from file://. .ci/run installs chromium and ffmpeg.
 */

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ffmpeg = findFfmpeg(process.env);
const env = { PATH: process.env.PATH };
/** A prompt that tries to get markup and script into the page. */
const INJECTED = `<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2"> & "quoted"`;

// Only where ffmpeg is missing: one skipped test that says why (CI installs it, so there it is not even listed).
if (!ffmpeg)
  describe('the demo, reviewed', () => {
    it('needs ffmpeg', (ctx) => ctx.skip('no ffmpeg found (RENDER_FFMPEG, PATH, @ffmpeg-installer/ffmpeg): install it with `apt-get install ffmpeg`'));
  });

describe.runIf(ffmpeg)('the demo, reviewed', () => {
  let ws: Workspace;
  let spec: string;
  let page: string;

  beforeAll(async () => {
    ws = copyExample();
    spec = ws.path('specs/spring-launch.yaml');
    const edit = (from: string, to: string) => writeFileSync(spec, readFileSync(spec, 'utf8').replace(from, to));
    edit('Hold on the shoe on its pedestal', `Hold on the shoe ${INJECTED} on its pedestal`);
    for (const argv of [
      ['apply', spec, '--mock', '--yes'],
      ['report', spec, '--mock'],
    ]) {
      const r = await render(argv, env);
      expect(r.code, r.stderr).toBe(0);
    }
    edit('turning a slow half-circle', 'turning a slow full circle');
    for (const argv of [
      ['apply', spec, '--mock', '--yes'],
      ['report', spec, '--mock'],
    ]) {
      const r = await render(argv, env);
      expect(r.code, r.stderr).toBe(0);
    }
    page = ws.path('specs/renders/spring-launch/.mock/index.html');
  }, 180_000);

  it('render cut joins the current takes in spec order: its duration is the sum of theirs', async () => {
    const r = await render(['cut', spec, '--mock'], env);
    expect(r.code, r.stderr).toBe(0);
    const out = ws.path('specs/renders/spring-launch/.mock/spring-launch+cut.mp4');
    expect(r.stdout).toContain(`Wrote ${out}: 13 of 13 shots, 85.00 s`);
    const lock = JSON.parse(readFileSync(ws.path('specs/spring-launch.lock.json'), 'utf8'));
    const shots = Object.values(lock.endpoints.mock.shots) as { current: number; takes: { n: number; duration: number }[] }[];
    const sum = shots.reduce((n, s) => n + s.takes.find((t) => t.n === s.current)!.duration, 0);
    expect(sum).toBe(85);
    expect((await probeVideo(ffmpeg!.path, out)).duration).toBeCloseTo(sum, 1);
  }, 60_000);

  it('a real browser shows every shot playable, runs nothing from a prompt, and filters', async (ctx) => {
    if (!existsSync(CHROMIUM)) ctx.skip(`no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      // As root Chromium needs --no-sandbox; the rest keeps it off the network (docs/ARCHITECTURE.md "Library facts").
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    try {
      const tab = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      const problems: string[] = [];
      tab.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
      tab.on('pageerror', (e) => problems.push(e.message));
      tab.on('request', (r) => !r.url().startsWith('file://') && problems.push(`request to ${r.url()}`));
      await tab.goto(pathToFileURL(page).href);

      expect(await tab.locator('article.card').count()).toBe(13);

      // Every video (13 current takes, the opener's earlier one) loads its metadata, each as long as its take.
      await tab.waitForFunction("[...document.querySelectorAll('video')].every((v) => v.readyState >= 1)", undefined, { timeout: 20_000 });
      const videos = await tab.$$eval('video', (vs) =>
        vs.map((v) => ({ main: v.classList.contains('main'), duration: v.duration, expected: Number(v.dataset.duration) })),
      );
      expect(videos.filter((v) => v.main)).toHaveLength(13);
      expect(videos).toHaveLength(14);
      for (const v of videos) expect(Math.abs(v.duration - v.expected)).toBeLessThan(0.25);

      const shots = process.env.RENDER_TEST_ARTIFACTS ?? mkdtempSync(path.join(tmpdir(), 'render-report-browser-'));
      const file = path.join(shots, 'report.png');
      await tab.screenshot({ path: file });
      console.log(`screenshot of the demo's report: ${file}`);

      // The prompt with markup shows as text, and nothing of it ran.
      expect(await tab.evaluate('window.__pwned')).toBeUndefined();
      expect(await tab.locator('#shot-end-card .prompt').textContent()).toContain(INJECTED);
      expect(await tab.locator('#shot-end-card .prompt img').count()).toBe(0);

      const visible = () => tab.$$eval('article.card', (cards) => cards.filter((c) => !(c as unknown as { hidden: boolean }).hidden).map((c) => c.id));
      await tab.click('button[data-filter="changed"]');
      expect(await visible()).toEqual(['shot-opener']);
      await tab.click('button[data-filter="failed"]');
      expect(await visible()).toEqual([]);
      expect(await tab.locator('p.empty').isVisible()).toBe(true);
      await tab.click('button[data-filter="all"]');
      expect(await visible()).toHaveLength(13);

      // Keyboard: arrows move between cards, space plays the focused one.
      await tab.keyboard.press('ArrowDown');
      await tab.keyboard.press('ArrowDown');
      expect(await tab.evaluate('document.activeElement.id')).toBe('shot-city-paris-dawn');
      await tab.keyboard.press(' ');
      await tab.waitForFunction("!document.querySelector('#shot-city-paris-dawn video.main').paused");
      await tab.keyboard.press('ArrowUp');
      expect(await tab.evaluate('document.activeElement.id')).toBe('shot-opener');

      expect(problems).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 60_000);

  it('render cut skips a shot without a video, with a note', async () => {
    rmSync(ws.path('specs/renders/spring-launch/.mock/product-macro.mp4'));
    const out = ws.path('cut.mp4');
    const r = await render(['cut', spec, '--mock', '--out', out], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('skipped product-macro: output file missing');
    expect(r.stdout).toContain(`Wrote ${out}: 12 of 13 shots, 81.00 s`);
    expect((await probeVideo(ffmpeg!.path, out)).duration).toBeCloseTo(81, 1);
  }, 60_000);
});
