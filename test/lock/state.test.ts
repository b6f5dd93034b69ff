import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readLockfileOnDisk, serializeLockfile } from '../../src/lock/file.js';
import { fingerprintOf } from '../../src/lock/fingerprint.js';
import { groupCommitWindowMs, journalPath, loadCurrentLock, LockStore } from '../../src/lock/store.js';
import { makeWorkspace } from '../helpers/workspace.js';
import { errorOf } from '../helpers/errors.js';

/**
 * docs/ARCHITECTURE.md "State": the lockfile carries a lineage and a serial; a lockfile older than the journal in
 * `.render/`, or of another lineage, is refused with what to do; damaged state is refused, never guessed at.
 */

const MODEL = 'kwaivgi/kling-v3.0-4k/image-to-video';

function workspace() {
  const ws = makeWorkspace();
  const spec = ws.spec('version: 1\nname: t\nbudget: { max_usd: 10 }\nshots:\n  - { id: a, image: img/ok.png, prompt: x }\n');
  return { ws, spec, lock: ws.path('t.lock.json'), journal: journalPath(spec, 't') };
}

async function intentOf(store: LockStore, shot: string, n = 1): Promise<void> {
  await store.record({
    t: 'intent',
    at: new Date().toISOString(),
    endpoint: 'https://api.wavespeed.ai',
    shot,
    take: { n, fingerprint: 'f', model: MODEL, take: 1, duration: 5, cost_cents: 210, request: { prompt: 'x' }, submitted_at: new Date().toISOString() },
  });
}

describe('lineage and serial', () => {
  it('every write that changes the lockfile bumps its serial; an unchanged state leaves its bytes alone', async () => {
    const { spec, lock } = workspace();
    const store = new LockStore(spec, 't');
    const first = JSON.parse(readFileSync(lock, 'utf8'));
    await intentOf(store, 'a');
    await store.close();
    const second = JSON.parse(readFileSync(lock, 'utf8'));
    expect(second.lineage).toBe(first.lineage);
    expect(second.serial).toBe(first.serial + 1);
    const bytes = readFileSync(lock, 'utf8');
    await new LockStore(spec, 't').close();
    expect(readFileSync(lock, 'utf8')).toBe(bytes);
  });

  it('a lockfile restored from an older commit (lower serial than the journal) is refused, with the way back', async () => {
    const { spec, lock } = workspace();
    const store = new LockStore(spec, 't');
    const old = readFileSync(lock, 'utf8');
    await intentOf(store, 'a');
    await store.close();
    writeFileSync(lock, old);
    const err = errorOf(() => loadCurrentLock(spec, 't'));
    expect(err.code).toBe('LOCKFILE_INVALID');
    expect(err.message).toMatch(/t\.lock\.json is older \(serial 1\) than the state this machine last wrote \(serial 2\)/);
    expect(err.hint).toMatch(/cp \.render\/t\.last\.lock\.json t\.lock\.json|t\.last\.lock\.json/);
  });

  it("a lockfile of another lineage (made anew, or another campaign's) is refused", async () => {
    const { spec, lock } = workspace();
    await new LockStore(spec, 't').close();
    const data = JSON.parse(readFileSync(lock, 'utf8'));
    writeFileSync(lock, serializeLockfile({ ...data, lineage: '00000000-other-lineage' }));
    expect(errorOf(() => loadCurrentLock(spec, 't')).message).toMatch(/another lineage/);
  });

  it('a deleted lockfile with the journal still in .render/ is refused: planning from nothing would pay again', async () => {
    const { spec, lock } = workspace();
    const store = new LockStore(spec, 't');
    await intentOf(store, 'a');
    await store.close();
    rmSync(lock);
    expect(errorOf(() => loadCurrentLock(spec, 't')).message).toMatch(
      /t\.lock\.json is missing, but .*\.render\/t\.journal\.ndjson records this campaign's state up to lockfile serial 2/,
    );
  });

  it('a money record reaches the committed lockfile within the group-commit window, not only at the end of the run', async () => {
    // A small lockfile is written whole in the window; a large one gets a paid record by its wal (test/lock/wal.test.ts).
    const { spec, lock } = workspace();
    const store = new LockStore(spec, 't', { groupCommitMs: 20 });
    await intentOf(store, 'a');
    await new Promise((r) => setTimeout(r, 200));
    const onDisk = readLockfileOnDisk(lock, 't');
    expect(onDisk?.version === 2 && onDisk.lock.endpoints['https://api.wavespeed.ai']?.shots.a?.takes).toHaveLength(1);
    await store.close();
  });
});

describe('damaged state is refused', () => {
  it('a line in the middle of the journal that is not a record names the line', async () => {
    const { spec, journal } = workspace();
    const store = new LockStore(spec, 't');
    await intentOf(store, 'a');
    await intentOf(store, 'b');
    // Left as a killed run leaves it: flush the journal, keep it (no close).
    const lines = readFileSync(journal, 'utf8').split('\n');
    lines.splice(2, 0, '{"t": "intent", "shot": "a"'); // a damaged line, then more records after it
    writeFileSync(journal, lines.join('\n'));
    const err = errorOf(() => loadCurrentLock(spec, 't'));
    expect(err.message).toMatch(/\.render\/t\.journal\.ndjson is damaged: line 3 is not JSON/);
    await store.close().catch(() => undefined);
  });

  it('a torn last line (a kill in mid-write) is dropped: its step was never trusted', async () => {
    const { spec, journal } = workspace();
    const store = new LockStore(spec, 't');
    await intentOf(store, 'a');
    writeFileSync(journal, `${readFileSync(journal, 'utf8')}{"t":"intent","at`);
    expect(loadCurrentLock(spec, 't').lock.endpoints['https://api.wavespeed.ai']?.shots.a?.takes).toHaveLength(1);
    await store.close().catch(() => undefined);
  });

  it('duplicate keys in the lockfile are refused (JSON.parse would keep the last silently)', async () => {
    const { spec, lock } = workspace();
    await new LockStore(spec, 't').close();
    const text = readFileSync(lock, 'utf8').replace('"kept": []', '"kept": [],\n  "kept": []');
    writeFileSync(lock, text);
    const err = errorOf(() => readLockfileOnDisk(lock, 't'));
    expect(err.message).toMatch(/has the key "kept" twice in one object/);
    expect(err.issues[0]?.line).toBeGreaterThan(1);
  });
});

describe('a version 1 lockfile keeps working', () => {
  it('is read as version 2: takes per endpoint, fingerprints of the normalized prompts, nothing to render again', () => {
    const { spec, lock } = workspace();
    const request = { prompt: 'a fox\r\non a roof  \n\n\n', duration: 5 };
    writeFileSync(
      lock,
      JSON.stringify({
        version: 1,
        name: 't',
        uploads: {},
        shots: {
          a: {
            fingerprint: 'old',
            endpoint: 'http://localhost:8787/',
            model: MODEL,
            take: 1,
            prediction_id: 'p1',
            status: 'completed',
            duration: 5,
            cost_cents: 210,
            request,
            submitted_at: '2026-11-01T00:00:00Z',
            outputs: [],
            history: [],
          },
        },
      }),
    );
    const migrated = loadCurrentLock(spec, 't').lock;
    const take = migrated.endpoints['http://127.0.0.1:8787']?.shots.a?.takes[0];
    expect(take?.fingerprint).toBe(fingerprintOf(MODEL, { prompt: 'a fox\non a roof', duration: 5 }, 1));
    expect(migrated.endpoints['http://127.0.0.1:8787']?.shots.a?.current).toBe(1);
  });
});

describe('rule 8: the lockfile is written whole at a bounded rate, whatever its size; what was paid reaches it at once by its wal', () => {
  it('every money record waits for the full write the window up to 256 KB of lockfile, then 2 ms per KB (at most 0.5 MB written a second)', () => {
    for (const kind of ['intent', 'submitted', 'unknown', 'current', 'refused', 'forgotten', 'kept'] as const) {
      expect(groupCommitWindowMs(kind, 0, 500)).toBe(500);
      expect(groupCommitWindowMs(kind, 256 * 1024, 500)).toBe(512);
      expect(groupCommitWindowMs(kind, 1024 * 1024, 500)).toBe(2048);
      // 10,000 shots: a 13 MB lockfile rewritten every 26 s, not twice a second, even while submits go out: an intent,
      // a prediction id or an unknown outcome is appended to its wal within the window meanwhile (test/lock/wal.test.ts).
      expect(groupCommitWindowMs(kind, 13 * 1024 * 1024, 500)).toBe(26_624);
    }
  });

  it('a status or a download forces no lockfile write of its own', () => {
    expect(groupCommitWindowMs('status', 0, 500)).toBeUndefined();
    expect(groupCommitWindowMs('output', 0, 500)).toBeUndefined();
  });
});
