import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { RenderError } from '../../src/errors.js';
import { acquireProcessLock } from '../../src/lock/process-lock.js';
import { ensureBuilt, ROOT } from '../helpers/build.js';
import { makeWorkspace } from '../helpers/workspace.js';

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
    const release = acquireProcessLock(dir, 't');
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
    acquireProcessLock(dir, 't')(); // released: free again
  });

  it("a dead holder's file does not block, and is removed", () => {
    const ws = makeWorkspace();
    const stale = ws.write(`.render/t.apply.${DEAD_PID}.aaaa.json`, JSON.stringify({ pid: DEAD_PID, host: hostname(), started_at: '2026-01-01T00:00:00Z' }));
    const release = acquireProcessLock(ws.path('.render'), 't');
    expect(readdirSync(ws.path('.render'))).not.toContain(path.basename(stale));
    release();
  });

  it("16 applies started at once over a dead holder's lock: never two holders at the same time", async () => {
    const ws = makeWorkspace();
    const dir = ws.path('.render');
    ws.write(`.render/t.apply.${DEAD_PID}.bbbb.json`, JSON.stringify({ pid: DEAD_PID, host: hostname(), started_at: '2026-01-01T00:00:00Z' }));
    const log = ws.path('log.ndjson');
    writeFileSync(log, '');
    const lockModule = path.join(ROOT, 'dist', 'lock', 'process-lock.js');
    const child = `
      const { acquireProcessLock } = await import(${JSON.stringify(lockModule)});
      const { appendFileSync } = await import('node:fs');
      const say = (what) => appendFileSync(${JSON.stringify(log)}, JSON.stringify({ pid: process.pid, what, at: process.hrtime.bigint().toString() }) + '\\n');
      let release;
      try { release = acquireProcessLock(${JSON.stringify(dir)}, 't'); } catch { say('refused'); process.exit(0); }
      say('start');
      const until = Date.now() + 100; while (Date.now() < until) {}
      say('end');
      release();`;
    const runs = Array.from(
      { length: 16 },
      () =>
        new Promise<void>((resolve, reject) => {
          const p = spawn(process.execPath, ['--input-type=module', '-e', child], { stdio: 'inherit' });
          p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`child exited ${code}`))));
        }),
    );
    await Promise.all(runs);
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
  });
});
