import { copyFileSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCurrentLock } from '../../src/lock/current.js';
import { lastLockPath } from '../../src/lock/paths.js';
import { acquireProcessLock } from '../../src/lock/process-lock.js';
import type { JournalRecord } from '../../src/lock/records.js';
import { journalPath, LockStore } from '../../src/lock/store.js';
import { makeWorkspace } from '../helpers/workspace.js';
import { rejectionOf } from '../helpers/errors.js';

/**
 * docs/ARCHITECTURE.md "State" ("The process lock", "The store and compaction"): `.render/` deleted while an apply
 * runs takes its journal and its process lock with it. Left so, a second apply could start beside the first and pay
 * again for what the first has in flight, and the copy in `.render/` would lack what the lost journal recorded. The
 * store makes both again before the next intent (and on its watch); an apply that finds the lock taken by another
 * records no intent again.
 */

const EP = 'https://api.wavespeed.ai';
const AT = '2026-11-28T10:00:00.000Z';
const intent = (shot: string): JournalRecord => ({
  t: 'intent',
  at: AT,
  endpoint: EP,
  shot,
  take: {
    n: 1,
    fingerprint: `f-${shot}`,
    model: 'kwaivgi/kling-v3.0-4k/image-to-video',
    take: 1,
    duration: 5,
    cost_cents: 210,
    request: { prompt: shot },
    submitted_at: AT,
  },
});
const submitted = (shot: string, id: string): JournalRecord => ({ t: 'submitted', at: AT, endpoint: EP, shot, n: 1, prediction_id: id });

function campaign() {
  const ws = makeWorkspace();
  const spec = ws.spec('version: 1\nname: t\nbudget: { max_usd: 10 }\nshots:\n  - { id: a, image: img/ok.png, prompt: x }\n');
  const dir = ws.path('.render');
  return { ws, spec, dir };
}

const predictionOf = (spec: string, shot: string) => readCurrentLock(spec, 't').endpoints[EP]?.shots[shot]?.takes[0]?.prediction_id;

/** A campaign whose apply holds the process lock and has its store open, for the length of `body`. */
async function withHeldStore(groupCommitMs: number, body: (held: { spec: string; dir: string; store: LockStore }) => Promise<void>): Promise<void> {
  const { spec, dir } = campaign();
  const lock = acquireProcessLock(dir, 't');
  const store = new LockStore(spec, 't', { hold: lock.hold, groupCommitMs });
  try {
    await body({ spec, dir, store });
  } finally {
    await store.close();
    lock.release();
  }
}

describe('.render/ deleted while an apply runs', () => {
  it('the next intent makes the process lock and the journal again, and the copy with the journal holds every record', async () => {
    // A group commit of a minute: no timer does it for the test.
    await withHeldStore(60_000, async ({ spec, dir, store }) => {
      await store.record(intent('a'));
      await store.record(submitted('a', 'p-a'));
      rmSync(dir, { recursive: true, force: true });
      await store.record(intent('b'));
      await store.record(submitted('b', 'p-b'));
      expect(readdirSync(dir).filter((f) => f.startsWith('t.apply.'))).toHaveLength(1);
      expect(() => acquireProcessLock(dir, 't')).toThrow(/another render apply is running on this spec/);
      // What a kill now leaves: the lockfile may still be the one from before; the copy and the journal hold all.
      const journal = readFileSync(journalPath(spec, 't'), 'utf8');
      expect(journal).toContain('"p-b"');
      expect(JSON.parse(readFileSync(lastLockPath(spec, 't'), 'utf8')).endpoints[EP].shots.a.takes[0].prediction_id).toBe('p-a');
      rmSync(path.join(path.dirname(spec), 't.lock.json'));
      copyFileSync(lastLockPath(spec, 't'), path.join(path.dirname(spec), 't.lock.json'));
      expect([predictionOf(spec, 'a'), predictionOf(spec, 'b')]).toEqual(['p-a', 'p-b']);
    });
  });

  it("the store's watch makes them again with no intent to come", async () => {
    await withHeldStore(50, async ({ spec, dir, store }) => {
      await store.record(intent('a'));
      rmSync(dir, { recursive: true, force: true });
      for (let waited = 0; !(existsSync(journalPath(spec, 't')) && readdirSync(dir).some((f) => f.startsWith('t.apply.'))); waited += 10) {
        if (waited > 20_000) throw new Error('waited 20 s for .render/ to be made again');
        await new Promise((r) => setTimeout(r, 10));
      }
      expect(() => acquireProcessLock(dir, 't')).toThrow(/another render apply is running on this spec/);
    });
  });

  it('a .render/ replaced by a file stops the next intent with an error that says what to do, not an internal error', async () => {
    const { spec, dir } = campaign();
    const lock = acquireProcessLock(dir, 't');
    const store = new LockStore(spec, 't', { hold: lock.hold, groupCommitMs: 60_000 });
    try {
      await store.record(intent('a'));
      rmSync(dir, { recursive: true, force: true });
      writeFileSync(dir, 'not a folder');
      const err = await rejectionOf(store.record(intent('b')));
      expect(err.code).toBe('FILE_UNREADABLE');
      expect(err.message).toMatch(/\.render is not a folder/);
    } finally {
      rmSync(dir, { force: true });
      await store.close().catch(() => undefined);
      lock.release();
    }
  });

  it('an apply whose lock another took meanwhile records no intent again, and still records what it spent', async () => {
    const { spec, dir } = campaign();
    const first = acquireProcessLock(dir, 't');
    const store = new LockStore(spec, 't', { hold: first.hold, groupCommitMs: 60_000 });
    await store.record(intent('a'));
    rmSync(dir, { recursive: true, force: true });
    const second = acquireProcessLock(dir, 't'); // started in the gap: it holds the lock now
    try {
      const err = await rejectionOf(store.record(intent('b')));
      expect(err.code).toBe('LOCKED');
      expect(err.message).toMatch(
        /\.render was deleted while this apply ran, and another render apply \(pid \d+ on .*\) took the process lock: this run submits nothing more/,
      );
      expect(() => store.hold()).toThrow(/took the process lock/); // and stays so
      await store.record(submitted('a', 'p-a')); // what was already spent is still recorded
      expect(store.lock.endpoints[EP]?.shots.a?.takes[0]?.prediction_id).toBe('p-a');
      expect(store.lock.endpoints[EP]?.shots.b).toBeUndefined();
      // The other run's lock file was left alone.
      expect(() => acquireProcessLock(dir, 't')).toThrow(/another render apply is running on this spec/);
    } finally {
      await store.close();
      first.release();
      second.release();
    }
  });
});
