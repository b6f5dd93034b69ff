import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { PassThrough } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../helpers/manual-clock.js';
import { apply, applyUntilDone, ensureBuilt, expectExit, expectVerifiedOutputs, FAST, makeProject, mockServer, render, spawnRender } from './helpers.js';

// The lock is between processes: the run holding it is the built binary, the one refused runs in-process.
beforeAll(ensureBuilt, 180_000);

describe('confirmation', () => {
  it('without --yes and without a terminal: exit 2 after showing the plan, nothing uploaded or submitted', async () => {
    const server = await mockServer();
    const p = makeProject({ shots: 3 });
    const r = await render(['apply', p.spec, '--poll-interval', '50ms'], { cwd: p.dir, server });
    expectExit(r, 2);
    expect(r.stdout).toMatch(/^3 shots: 3 to create; 9 s of new video at \$0\.42\/s$/m);
    expect(r.stderr).toBe(
      'error: refusing to apply without confirmation: there is no terminal to ask on\n' + 'hint: review the plan above, then run again with --yes\n',
    );
    expect(server.stats()).toMatchObject({ submissions: 0, uploads: 0 });
    expect(existsSync(p.lockFile)).toBe(false);
    expect(p.lockFiles()).toEqual([]);
  });

  it.each([
    ['answering "n"', 'n\r'],
    ['Ctrl+D', '\x04'],
    ['the end of the input', ''],
  ])('%s at the prompt is no: "Cancelled", exit 1, nothing uploaded or submitted', async (_what, typed) => {
    const server = await mockServer();
    const p = makeProject({ shots: 2 });
    const keyboard = new PassThrough();
    keyboard.end(typed);
    // CI=1: plain progress lines, as the prompt is what is tested here, not the bars.
    const r = await render(['apply', p.spec, '--poll-interval', '50ms'], { cwd: p.dir, server, keyboard, env: { CI: '1', NO_COLOR: '1' } });
    expectExit(r, 1);
    expect(r.stderr).toMatch(
      /Apply this plan on http:\/\/127\.0\.0\.1:\d+: 2 shots for \$2\.52 \(real money, charged to the WaveSpeedAI account of WAVESPEED_API_KEY\)\? Type "yes" to go on: /,
    );
    expect(r.stderr).toMatch(/^Cancelled: nothing was submitted\.$/m);
    expect(r.stderr).not.toMatch(/error/);
    expect(server.stats()).toMatchObject({ submissions: 0, uploads: 0 });
    expect(p.lockFiles()).toEqual([]);
  });
});

describe('one apply per spec at a time', () => {
  it('a second apply while one runs is refused with a clear message; the first finishes untouched', async () => {
    // The server's clock stands still until the test moves it: the first run cannot finish (and release the lock)
    // before the second has been refused, however slow the machine.
    const clock = manualClock();
    const server = await mockServer({ clock });
    const p = makeProject({ shots: 3, concurrency: 3 });
    const first = spawnRender(['apply', p.spec, ...FAST], { cwd: p.dir, server });
    await first.waitForStderr(/^submitted /);

    const second = await apply(p, server);
    expectExit(second, 1);
    const pid = first.child.pid!;
    expect(second.stderr).toMatch(
      new RegExp(
        `^error: another render apply is running on this spec \\(pid ${pid} on ${hostname()}, since \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z\\)\\nhint: wait for it to finish, or stop it \\(Ctrl-C\\)`,
      ),
    );
    expect(second.stdout).toBe('');
    // Reading is never locked out.
    const status = await render(['status', p.spec, '--json'], { cwd: p.dir });
    expectExit(status, 0);
    expectExit(await render(['plan', p.spec], { cwd: p.dir, server }), 0);

    await first.waitForStderr(/^submitted /, 3);
    clock.advance(150);
    const r = await first.done;
    expectExit(r, 0);
    expect(server.stats()).toMatchObject({ submissions: 3, duplicateSubmissions: 0 });
    expectVerifiedOutputs(p);
    expect(p.lockFiles()).toEqual([]);
  });

  it('a lock left by a SIGKILLed run does not block the next run', async () => {
    const server = await mockServer({ completeAfterMs: 800 });
    const p = makeProject({ shots: 3 });
    const run = spawnRender(['apply', p.spec, ...FAST], { cwd: p.dir, server });
    await run.waitForStderr(/^submitted /);
    const killed = await run.kill();
    expect(killed.signal).toBe('SIGKILL');
    expect(p.lockFiles()).toHaveLength(1);
    const holder = JSON.parse(readFileSync(p.lockFiles()[0]!, 'utf8')) as { pid: number; host: string };
    expect(holder).toMatchObject({ pid: run.child.pid, host: hostname() });

    // (A submit the kill cut before it reached the server stays outcome unknown: applyUntilDone resolves it as a user would.)
    const runs = await applyUntilDone(p, server);
    for (const r of runs) expect(r.stderr).not.toContain('another render apply');
    expectVerifiedOutputs(p);
    expect(server.stats()).toMatchObject({ submissions: 3, duplicateSubmissions: 0 });
    expect(p.lockFiles()).toEqual([]);
  });

  it('a torn or empty lock file (a kill while it was written) does not block either', async () => {
    const server = await mockServer();
    const p = makeProject({ shots: 2 });
    mkdirSync(p.abs('.render'), { recursive: true });
    for (const text of ['', '{"pid": 12']) {
      writeFileSync(p.lockFileFor(12), text);
      const r = await apply(p, server);
      expectExit(r, 0);
      expect(p.lockFiles()).toEqual([]);
    }
    expect(server.stats()).toMatchObject({ submissions: 2, duplicateSubmissions: 0 });
  });
});
