import { launch } from '../helpers/launcher.js';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { RenderError } from '../../src/errors.js';
import { acquireProcessLock } from '../../src/lock/process-lock.js';
import { ensureBuilt, ROOT } from '../helpers/build.js';
import { makeWorkspace } from '../helpers/workspace.js';
import { errorOf } from '../helpers/errors.js';

/**
 * docs/ARCHITECTURE.md "State": one apply per spec at a time. The lock is taken by writing one's own file and
 * seeing no other live holder's; a dead holder's file is removed, a live one's never.
 */

beforeAll(ensureBuilt, 180_000);

/** A pid no process has: the highest possible, minus a little. */
const DEAD_PID = 4_194_000;

describe('the process lock', () => {
  it('is refused while another holder lives, naming it', () => {
    const ws = makeWorkspace();
    const dir = ws.path('.render');
    const { release } = acquireProcessLock(dir, 't');
    try {
      let err: unknown;
      try {
        acquireProcessLock(dir, 't');
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(RenderError);
      expect((err as RenderError).message).toMatch(/another render apply is running on this spec \(pid \d+ on /);
    } finally {
      release();
    }
    acquireProcessLock(dir, 't').release(); // released: free again
  });

  it("a dead holder's file does not block, and is removed", () => {
    const ws = makeWorkspace();
    const stale = ws.write(`.render/t.apply.${DEAD_PID}.aaaa.json`, JSON.stringify({ pid: DEAD_PID, host: hostname(), started_at: '2026-01-01T00:00:00Z' }));
    const { release } = acquireProcessLock(ws.path('.render'), 't');
    expect(readdirSync(ws.path('.render'))).not.toContain(path.basename(stale));
    release();
  });

  it('a holder on another machine blocks, and the error says who (pid, host, since), that render cannot tell whether it lives, and which file to remove if its run is over', () => {
    const ws = makeWorkspace();
    const other = ws.write(`.render/t.apply.4242.cccc.json`, JSON.stringify({ pid: 4242, host: 'render-farm-7', started_at: '2026-01-01T00:00:00Z' }));
    const err = errorOf(() => acquireProcessLock(ws.path('.render'), 't'));
    expect(err.code).toBe('LOCKED');
    expect(err.message).toBe('another render apply is running on this spec (pid 4242 on render-farm-7, since 2026-01-01T00:00:00Z)');
    expect(err.hint).toBe(
      `render cannot tell whether a process on another machine is alive: wait for it to finish on render-farm-7, or, if that run is over, remove ${other}`,
    );
    expect(readdirSync(ws.path('.render'))).toEqual([path.basename(other)]); // never removed by render itself
  });

  it('a folder where a lock file goes: a clear error naming it, nothing left behind', () => {
    const ws = makeWorkspace();
    const folder = ws.path('.render/t.apply.4242.dddd.json');
    mkdirSync(folder, { recursive: true });
    const err = errorOf(() => acquireProcessLock(ws.path('.render'), 't'));
    expect(err.code).toBe('FILE_UNREADABLE');
    expect(err.message).toBe(`cannot take the process lock: ${folder} is a folder, not a process lock file`);
    expect(err.hint).toMatch(/^move it out of the way/);
    expect(readdirSync(ws.path('.render'))).toEqual([path.basename(folder)]);
  });

  it('a file where the .render folder goes: a clear error naming it', () => {
    const ws = makeWorkspace();
    const file = ws.write('.render', 'not a folder');
    const err = errorOf(() => acquireProcessLock(file, 't'));
    expect(err.code).toBe('FILE_UNREADABLE');
    expect(err.message).toBe(`cannot take the process lock: ${file} is not a folder`);
  });

  it("8 applies let go at the same moment over a dead holder's lock: never two holders at the same time", async () => {
    const ws = makeWorkspace();
    const dir = ws.path('.render');
    ws.write(`.render/t.apply.${DEAD_PID}.bbbb.json`, JSON.stringify({ pid: DEAD_PID, host: hostname(), started_at: '2026-01-01T00:00:00Z' }));
    const log = ws.path('log.ndjson');
    writeFileSync(log, '');
    const lockModule = path.join(ROOT, 'dist', 'lock', 'process-lock.js');
    // Each child loads the lock, says "ready", and waits for the word: started one by one, the contenders would
    // be spread over their start-up times; let go together, they all try in the same moment. The holder keeps
    // the lock 100 ms, idle (Atomics.wait), while the others retry.
    const child = `
      const { acquireProcessLock } = await import(${JSON.stringify(lockModule)});
      const { appendFileSync } = await import('node:fs');
      const say = (what) => appendFileSync(${JSON.stringify(log)}, JSON.stringify({ pid: process.pid, what, at: process.hrtime.bigint().toString() }) + '\\n');
      process.stdout.write('ready\\n');
      await new Promise((go) => process.stdin.once('data', go));
      let release;
      try { ({ release } = acquireProcessLock(${JSON.stringify(dir)}, 't')); } catch { say('refused'); process.exit(0); }
      say('start');
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
      say('end');
      release();`;
    const children = Array.from({ length: 8 }, () => launch(process.execPath, ['--input-type=module', '-e', child], { stdin: true }));
    const exits = children.map((p) => {
      let stderr = '';
      p.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
      return p.closed.then(({ code }) => (code === 0 ? undefined : Promise.reject(new Error(`child exited ${code}\n${stderr}`))));
    });
    await Promise.all(children.map((p, i) => Promise.race([new Promise((ready) => p.stdout.once('data', ready)), exits[i]])));
    for (const p of children) p.stdin!.end('go\n');
    await Promise.all(exits);
    const events = readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { pid: number; what: string; at: string });
    const timeline = events.filter((e) => e.what !== 'refused').sort((a, b) => (BigInt(a.at) < BigInt(b.at) ? -1 : 1));
    let holders = 0;
    for (const e of timeline) {
      holders += e.what === 'start' ? 1 : -1;
      expect(holders, 'holders at once').toBeLessThanOrEqual(1);
    }
    expect(timeline.filter((e) => e.what === 'start').length, 'at least one apply ran').toBeGreaterThanOrEqual(1);
    expect(events, 'every child tried').toHaveLength(8 + timeline.filter((e) => e.what === 'start').length);
  });
});
