import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { journalPath, loadCurrentLock, LockStore } from '../../src/lock/store.js';
import { makeWorkspace } from '../helpers/workspace.js';

/**
 * docs/ARCHITECTURE.md "State": `render status` and `plan` are never locked out while an apply runs, so they may read
 * the lockfile and the journal while the apply compacts them. The compaction is done by another thread here, in the
 * store's own order (lock/file-backend.ts `snapshot`): the lockfile replaced by a rename with its serial one up, then
 * the journal emptied to a `base` naming that serial.
 */

const COMPACTOR = `
const { parentPort, workerData } = require('node:worker_threads');
const { writeFileSync, renameSync, openSync, ftruncateSync, writeSync, closeSync } = require('node:fs');
const { lockFile, journal, text, lineage, serial, shared } = workerData;
const pause = new Int32Array(new SharedArrayBuffer(4));
const counts = new Int32Array(shared);
let s = serial;
while (Atomics.load(counts, 1) === 0) {
  s++;
  writeFileSync(lockFile + '.tmp', text.replace(/\\n  "serial": \\d+,/, '\\n  "serial": ' + s + ','));
  renameSync(lockFile + '.tmp', lockFile);
  const fd = openSync(journal, 'r+');
  ftruncateSync(fd, 0);
  writeSync(fd, JSON.stringify({ t: 'base', at: new Date().toISOString(), lineage, serial: s }) + '\\n');
  closeSync(fd);
  Atomics.add(counts, 0, 1);
  Atomics.wait(pause, 0, 0, 5);
}
parentPort.postMessage(s - serial);
`;

describe('reading the state while an apply compacts it', () => {
  it('never takes a compaction in progress for a lockfile restored from an older commit', async () => {
    const ws = makeWorkspace();
    const spec = ws.spec('version: 1\nname: t\nbudget: { max_usd: 10 }\nshots:\n  - { id: a, image: img/ok.png, prompt: x }\n');
    const lockFile = ws.path('t.lock.json');
    const store = new LockStore(spec, 't');
    await store.record({
      t: 'intent',
      at: new Date().toISOString(),
      endpoint: 'https://api.wavespeed.ai',
      shot: 'a',
      take: {
        n: 1,
        fingerprint: 'f',
        model: 'kwaivgi/kling-v3.0-4k/image-to-video',
        take: 1,
        duration: 5,
        cost_cents: 210,
        request: { prompt: 'x' },
        submitted_at: new Date().toISOString(),
      },
    });
    await store.close();
    const text = readFileSync(lockFile, 'utf8');
    const { lineage, serial } = JSON.parse(text) as { lineage: string; serial: number };

    // [compactions done, stop]: the compactor runs until both sides have done more than 50, however slow the machine.
    const counts = new Int32Array(new SharedArrayBuffer(8));
    const worker = new Worker(COMPACTOR, {
      eval: true,
      workerData: { lockFile, journal: journalPath(spec, 't'), text, lineage, serial, shared: counts.buffer },
    });
    const compactions = new Promise<number>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    let finished = false;
    void compactions.finally(() => {
      finished = true;
    });
    const refusals: string[] = [];
    let reads = 0;
    while (!finished) {
      try {
        const { lock } = loadCurrentLock(spec, 't');
        expect(lock.endpoints['https://api.wavespeed.ai']?.shots.a?.takes).toHaveLength(1);
      } catch (err) {
        refusals.push(err instanceof Error ? err.message : String(err));
      }
      reads++;
      if (reads > 50 && Atomics.load(counts, 0) > 50) Atomics.store(counts, 1, 1);
      await new Promise((r) => setImmediate(r));
    }
    expect(await compactions).toBeGreaterThan(50);
    expect(reads).toBeGreaterThan(50);
    expect(refusals).toEqual([]);
  });
});
