import { spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { ensureBuilt, makeProject, mockServer, render, waitUntil } from '../apply/helpers.js';
import { CLI } from '../helpers/build.js';
import { launch, launchChecked, launchOutput } from '../helpers/launcher.js';

/**
 * `render apply` on a terminal, as a person sees it (docs/SPEC.md "On a terminal"): the binary runs in a real
 * pseudo-terminal (tmux), keys are typed into it and the screen is read with `tmux capture-pane`. Nothing here
 * waits for a stretch of time: every wait is for something to appear on the screen, or for the command to end,
 * with a generous cap. RENDER_FFMPEG=none: the mock's outputs are its plain MP4s, not animatics, for the screen
 * is the same without an ffmpeg run per shot.
 */

const HAS_TMUX = spawnSync('tmux', ['-V']).status === 0;
const SOCKET = `render-test-${process.pid}`;
let sessions = 0;

class Terminal {
  readonly name = `t${++sessions}`;

  /** A new tmux session running `command` in `cwd`, closed when the test ends. */
  static async open(command: string, cwd: string, env: Record<string, string> = {}): Promise<Terminal> {
    const t = new Terminal();
    // CI and NO_COLOR are unset: a person's terminal, where bars are drawn and colour is on.
    const vars = Object.entries({ RENDER_FFMPEG: 'none', ...env }).map(([k, v]) => `${k}=${shellQuote(v)}`);
    // Once it has printed its exit code, the pane wakes whoever waits on the channel named after the session.
    const line = `env -u CI -u NO_COLOR ${vars.join(' ')} ${command}; echo "[exit $?]"; tmux -L ${SOCKET} wait-for -S ${t.name}; sleep 3600`;
    await tmux('new-session', '-d', '-s', t.name, '-x', '220', '-y', '50', '-c', cwd, line);
    onTestFinished(async () => {
      await tmux('kill-session', '-t', t.name);
    });
    return t;
  }

  /** The whole screen and its scrollback, wrapped lines joined; with colour codes when `colour`. */
  screen(colour = false): Promise<string> {
    return tmux('capture-pane', '-p', '-J', '-S', '-500', ...(colour ? ['-e'] : []), '-t', this.name);
  }

  async keys(...keys: string[]): Promise<void> {
    await tmux('send-keys', '-t', this.name, ...keys);
  }

  async waitFor(what: string | RegExp, timeoutMs = 60_000): Promise<string> {
    const found = (s: string) => (typeof what === 'string' ? s.includes(what) : lines(s).some((l) => what.test(l)));
    // Each look at the screen is a tmux process: every 100 ms, not the 5 ms of a look at memory.
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const screen = await this.screen();
      if (found(screen)) return screen;
      if (Date.now() > deadline) throw new Error(`waited ${timeoutMs} ms for the screen to show ${String(what)}\n--- screen:\n${screen}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** The screen once the command has ended and printed "[exit N]": one `tmux wait-for` meanwhile, no polling. */
  async exited(timeoutMs = 60_000): Promise<string> {
    const waiter = launch('tmux', ['-L', SOCKET, 'wait-for', this.name]);
    const timer = setTimeout(() => waiter.kill(), timeoutMs);
    const { code } = await waiter.closed.finally(() => clearTimeout(timer));
    if (code !== 0) throw new Error(`waited ${timeoutMs} ms for the command to end\n--- screen:\n${await this.screen()}`);
    return this.waitFor(EXIT); // on the screen by now: the pane printed it before it signalled
  }
}

/** One tmux command, started by the launcher (test/helpers/launcher.ts), not by this worker. */
function tmux(...args: string[]): Promise<string> {
  return launchChecked('tmux', ['-L', SOCKET, ...args]);
}

function shellQuote(v: string): string {
  return `'${v.replace(/'/g, `'\\''`)}'`;
}

/** The screen's lines, without the blank ones. */
const lines = (screen: string) => screen.split('\n').filter((l) => l.trim() !== '');
const indexOf = (screen: string, re: RegExp) => lines(screen).findIndex((l) => re.test(l));
const hasBar = (screen: string) => indexOf(screen, BAR) >= 0;

const ESC = String.fromCharCode(27);
const QUESTION = /^Apply this plan on .*\? Type "yes" to go on: /;
const BAR = /^shots +[█░]+ \d+\/\d+/;
const EXIT = /^\[exit \d+\]$/;

describe.skipIf(!HAS_TMUX)('render apply on a terminal (tmux)', { timeout: 90_000 }, () => {
  beforeAll(() => {
    ensureBuilt();
    return async () => {
      await launchOutput('tmux', ['-L', SOCKET, 'kill-server']);
    };
  });

  it('shows the plan, then the question naming the endpoint (play money on --mock), and no bar before "yes"', async () => {
    const p = makeProject({ shots: 2 });
    const t = await Terminal.open(`node ${CLI} apply spec.yaml --mock --poll-interval 50ms`, p.dir);
    const screen = await t.waitFor('Type "yes" to go on:');
    expect(lines(screen).at(-1)).toMatch(
      /^Apply this plan on the local mock server: 2 shots for \$2\.52 \(play money, nothing is charged\)\? Type "yes" to go on: $/,
    );
    expect(indexOf(screen, /^ {2}after apply /)).toBeLessThan(indexOf(screen, QUESTION));
    expect(hasBar(screen)).toBe(false);

    await t.keys('yes', 'Enter');
    const done = await t.exited();
    expect(done).toContain('[exit 0]');
    const l = lines(done);
    const question = indexOf(done, QUESTION);
    // The answer stays where it was typed; the bars come after it, then the summary, which nothing erases.
    expect(l[question]).toMatch(/Type "yes" to go on: yes$/);
    const bar = indexOf(done, BAR);
    const summary = indexOf(done, /^Done: 2 rendered, 0 failed, 0 skipped in /);
    expect(bar).toBeGreaterThan(question);
    expect(summary).toBeGreaterThan(bar);
    expect(l[bar]).toMatch(/^shots +█+ 2\/2 spent \$2\.52 +failed 0/);
  });

  it('names a real endpoint and says the money is real', async () => {
    const server = await mockServer();
    const p = makeProject({ shots: 1 });
    const t = await Terminal.open(`node ${CLI} apply spec.yaml`, p.dir, { WAVESPEED_BASE_URL: server.url, WAVESPEED_API_KEY: server.apiKey });
    const screen = await t.waitFor('Type "yes" to go on:');
    expect(lines(screen).at(-1)).toBe(
      `Apply this plan on ${server.url}: 1 shot for $1.26 (real money, charged to the WaveSpeedAI account of WAVESPEED_API_KEY)? Type "yes" to go on: `,
    );
    await t.keys('no', 'Enter');
    expect(await t.exited()).toContain('[exit 1]');
    expect(server.stats().submissions).toBe(0);
  });

  it('answering "no" leaves "Cancelled" on the screen, never a bar, and exits 1', async () => {
    const p = makeProject({ shots: 1 });
    const t = await Terminal.open(`node ${CLI} apply spec.yaml --mock`, p.dir);
    await t.waitFor('Type "yes" to go on:');
    await t.keys('no', 'Enter');
    const screen = await t.exited();
    expect(screen).toContain('[exit 1]');
    const l = lines(screen);
    expect(l[indexOf(screen, QUESTION)]).toMatch(/go on: no$/);
    expect(l[indexOf(screen, QUESTION) + 1]).toBe('Cancelled: nothing was submitted.');
    expect(hasBar(screen)).toBe(false);
  });

  it('"Nothing to do" stays on the screen, with no bar', async () => {
    const p = makeProject({ shots: 1 });
    // The first apply only makes the state; it runs in-process.
    const first = await render(['apply', p.spec, '--mock', '--yes', '--poll-interval', '50ms'], { cwd: p.dir, env: { RENDER_FFMPEG: 'none' } });
    expect(first.code, first.stderr).toBe(0);
    const t = await Terminal.open(`node ${CLI} apply spec.yaml --mock`, p.dir);
    const screen = await t.exited();
    expect(screen).toContain('[exit 0]');
    expect(lines(screen).at(-2)).toBe('Nothing to do: every shot is rendered and intact ($0.00).');
    expect(hasBar(screen)).toBe(false);
    expect(screen).not.toContain('Type "yes"');
  });

  it('a failure printed while the bars run stays above them; the bars count failures', async () => {
    const server = await mockServer({ faults: { taskFailRate: 1, taskFailCodes: [5000] } });
    const p = makeProject({ shots: 2 });
    const env = { WAVESPEED_BASE_URL: server.url, WAVESPEED_API_KEY: server.apiKey };
    const t = await Terminal.open(`node ${CLI} apply spec.yaml --yes --poll-interval 50ms`, p.dir, env);
    const screen = await t.exited();
    expect(screen).toContain('[exit 1]');
    const failed = indexOf(screen, /^\[\d\/2\] FAILED shot-0\d: /);
    const bar = indexOf(screen, BAR);
    expect(failed, screen).toBeGreaterThanOrEqual(0);
    expect(failed).toBeLessThan(bar);
    expect(lines(screen)[bar]).toMatch(/ 2\/2 spent \$0\.00 +failed 2/);
    expect(screen).toMatch(/^Done: 0 rendered, 2 failed, 0 skipped in /m);
  });

  it('after Ctrl-C the bar counts what ended, and the skipped shots apart', { timeout: 90_000 }, async () => {
    // Each task takes long enough to press Ctrl-C while the first is in flight, one at a time.
    const server = await mockServer({ completeAfterMs: 1500, processingAfterMs: 30 });
    const p = makeProject({ shots: 4, concurrency: 1 });
    const env = { WAVESPEED_BASE_URL: server.url, WAVESPEED_API_KEY: server.apiKey };
    const t = await Terminal.open(`node ${CLI} apply spec.yaml --yes --poll-interval 50ms`, p.dir, env);
    await t.waitFor(BAR);
    await waitUntil(() => server.stats().submissions >= 1, 'the first submit');
    await t.keys('C-c');
    const screen = await t.exited();
    expect(screen).toContain('[exit 1]');
    const stopping = indexOf(screen, /^stopping: no new submits/);
    const bar = indexOf(screen, BAR);
    expect(stopping).toBeGreaterThanOrEqual(0);
    expect(stopping).toBeLessThan(bar);
    const done = server.stats().submissions;
    expect(lines(screen)[bar]).toMatch(new RegExp(`^shots +[█░]+ ${done}/4 .*skipped ${4 - done}`));
    expect(screen).toMatch(new RegExp(`^Interrupted: ${done} rendered, 0 failed, ${4 - done} skipped in `, 'm'));
  });

  it('colours the plan and the summary on a terminal, and not with --no-color', async () => {
    const p = makeProject({ shots: 1 });
    const t = await Terminal.open(`node ${CLI} plan spec.yaml --mock`, p.dir);
    expect(await t.exited()).toContain('[exit 0]');
    expect(await t.screen(true)).toMatch(new RegExp(`${ESC}\\[32m(${ESC}\\[\\d+m)*create`));
    const plain = await Terminal.open(`node ${CLI} plan spec.yaml --mock --no-color`, p.dir);
    expect(await plain.exited()).toContain('[exit 0]');
    expect(await plain.screen(true)).not.toContain(`${ESC}[3`);
  });
});
