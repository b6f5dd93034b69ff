import { existsSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { isRenderError } from '../../src/errors.js';
import { readLockfileOnDisk, serializeLockfile, writeLockfile } from '../../src/lock/file.js';
import { readJournal } from '../../src/lock/journal.js';
import { acquireProcessLock } from '../../src/lock/process-lock.js';
import type { JournalRecord } from '../../src/lock/records.js';
import { applyRecord } from '../../src/lock/reducer.js';
import { emptyLockfile, type Lockfile } from '../../src/lock/schema.js';
import { LockStore } from '../../src/lock/store.js';
import { tmpDir } from './fakes.js';
import { launchChecked } from '../helpers/launcher.js';

/** The lockfile, the journal's records and the one reducer, the store, and the process lock (docs/ARCHITECTURE.md "State"). */

const AT = '2026-11-24T10:00:00.000Z';
const EP = 'https://api.wavespeed.ai';
const take = (fingerprint: string, n = 1) => ({
  n,
  fingerprint,
  model: 'm',
  take: 1,
  duration: 5,
  cost_cents: 210,
  request: { prompt: fingerprint, duration: 5 },
  submitted_at: AT,
});
const output = (p: string) => ({ url: `http://x/${p}`, path: p, sha256: 'a'.repeat(64), bytes: 3 });
const ref = (shot: string, n = 1) => ({ at: AT, endpoint: EP, shot, n });
const intent = (shot: string, fingerprint: string, n = 1): JournalRecord => ({ t: 'intent', at: AT, endpoint: EP, shot, take: take(fingerprint, n) });

function replay(records: JournalRecord[]): Lockfile {
  const lock = emptyLockfile('t', 't.yaml', 'lineage-of-test');
  for (const r of records) applyRecord(lock, r);
  return lock;
}

const shot = (lock: Lockfile, id: string) => lock.endpoints[EP]?.shots[id];

describe('the lockfile', () => {
  it('is written with version 2, keys sorted at every depth, and a final newline', () => {
    const lock = replay([intent('b', 'f1'), intent('a', 'f2')]);
    const text = serializeLockfile(lock);
    expect(text.endsWith('}\n')).toBe(true);
    const parsed = JSON.parse(text);
    expect(parsed.version).toBe(2);
    expect(Object.keys(parsed)).toEqual([...Object.keys(parsed)].sort());
    expect(Object.keys(parsed.endpoints[EP].shots)).toEqual(['a', 'b']);
    expect(Object.keys(parsed.endpoints[EP].shots.a.takes[0])).toEqual([...Object.keys(parsed.endpoints[EP].shots.a.takes[0])].sort());
  });

  it('is not rewritten when its state would not change, and leaves no temp file', async () => {
    const dir = tmpDir();
    const file = path.join(dir, 't.lock.json');
    const lock = replay([intent('a', 'f')]);
    const first = writeLockfile(file, lock, undefined);
    expect(first.bytes).toBeGreaterThan(0);
    // Dated an hour back, so a rewrite shows in the mtime however fast it comes (no sleep to make them differ).
    const before = new Date(Date.now() - 3_600_000);
    utimesSync(file, before, before);
    const mtime = statSync(file).mtimeMs;
    expect(writeLockfile(file, lock, first.text).bytes).toBe(0);
    expect(statSync(file).mtimeMs).toBe(mtime);
    expect(readdirSync(dir)).toEqual(['t.lock.json']);
    expect(readLockfileOnDisk(file, 't')).toEqual({ version: 2, lock });
  });

  it.each([
    ['a future version', '{"version": 3, "name": "t", "shots": {}}', /is lockfile version 3; this render reads versions 1 and 2/],
    ['merge-conflict markers', '{\n<<<<<<< HEAD\n"version": 2\n=======\n>>>>>>> other\n}', /has git merge-conflict markers/],
    ['broken JSON', '{"version": 2, "name": ', /is not valid JSON/],
    [
      'a hand edit that breaks a field',
      '{"version": 2, "name": "t", "spec": "t.yaml", "lineage": "abcdefgh", "serial": 1, "kept": [], "endpoints": {"e": {"uploads": {}, "shots": {"a": {"takes": [{"status": "done"}]}}}}}',
      /is not a valid render lockfile/,
    ],
    [
      "another spec's name",
      '{"version": 2, "name": "other", "spec": "t.yaml", "lineage": "abcdefgh", "serial": 1, "kept": [], "endpoints": {}}',
      /belongs to spec "other"/,
    ],
    [
      'a key twice',
      '{"version": 2, "name": "t", "name": "t", "spec": "t.yaml", "lineage": "abcdefgh", "serial": 1, "kept": [], "endpoints": {}}',
      /has the key "name" twice in one object/,
    ],
  ])('refuses %s with a clear message', (_what, text, message) => {
    const file = path.join(tmpDir(), 't.lock.json');
    writeFileSync(file, text);
    let err: unknown;
    try {
      readLockfileOnDisk(file, 't');
    } catch (e) {
      err = e;
    }
    expect(isRenderError(err, 'LOCKFILE_INVALID')).toBe(true);
    expect((err as Error).message).toMatch(message);
  });
});

describe('journal records replayed over the lockfile', () => {
  it('follow a take from intent to verified output', () => {
    const lock = replay([
      intent('a', 'f'),
      { t: 'submitted', ...ref('a'), prediction_id: 'p1' },
      { t: 'status', ...ref('a'), status: 'completed', outputs: ['http://x/o.mp4'] },
      { t: 'output', ...ref('a'), outputs: [output('renders/t/a.mp4')] },
    ]);
    expect(shot(lock, 'a')).toMatchObject({ current: 1, takes: [{ n: 1, status: 'completed', prediction_id: 'p1', outputs: [output('renders/t/a.mp4')] }] });
    expect(shot(lock, 'a')?.takes[0]?.remote_outputs).toBeUndefined();
  });

  it('a new take is added beside the earlier one and becomes current once it has an id; a refused submit leaves no take', () => {
    const done: JournalRecord[] = [
      intent('a', 'f1'),
      { t: 'submitted', ...ref('a'), prediction_id: 'p1' },
      { t: 'status', ...ref('a'), status: 'completed' },
      { t: 'output', ...ref('a'), outputs: [output('a.mp4')] },
    ];
    const pending = replay([...done, intent('a', 'f2', 2)]);
    expect(shot(pending, 'a')).toMatchObject({
      current: 1,
      takes: [
        { n: 1, prediction_id: 'p1' },
        { n: 2, fingerprint: 'f2', status: 'submitting' },
      ],
    });
    const replaced = replay([...done, intent('a', 'f2', 2), { t: 'submitted', ...ref('a', 2), prediction_id: 'p2' }]);
    expect(shot(replaced, 'a')?.current).toBe(2);

    const refused = replay([...done, intent('a', 'f2', 2), { t: 'refused', ...ref('a', 2), code: 'INVALID_INPUT', message: 'no' }]);
    expect(shot(refused, 'a')).toMatchObject({ current: 1, takes: [{ n: 1, fingerprint: 'f1', prediction_id: 'p1', status: 'completed' }] });
    expect(shot(refused, 'a')?.takes).toHaveLength(1);
  });

  it('an older intent found later (adopted, or matched in the list) never takes the place of a newer take', () => {
    const lock = replay([
      intent('a', 'f1'),
      { t: 'unknown', ...ref('a'), message: 'timeout' },
      intent('a', 'f2', 2),
      { t: 'submitted', ...ref('a', 2), prediction_id: 'p2' },
      { t: 'submitted', ...ref('a', 1), prediction_id: 'p1', by: 'adopt' },
    ]);
    expect(shot(lock, 'a')).toMatchObject({
      current: 2,
      takes: [
        { n: 1, prediction_id: 'p1', settled_by: 'adopt' },
        { n: 2, prediction_id: 'p2' },
      ],
    });
  });

  it('a forgotten intent stays recorded, no longer counted as spent', () => {
    const lock = replay([intent('a', 'f1'), { t: 'unknown', ...ref('a'), message: 'timeout' }, { t: 'forgotten', ...ref('a') }]);
    expect(shot(lock, 'a')?.takes[0]).toMatchObject({ status: 'forgotten', settled_by: 'forget' });
  });

  it('a record for a take that is no longer pending is ignored, not trusted; a final status is final', () => {
    const lock = replay([
      intent('a', 'f1'),
      { t: 'submitted', ...ref('a'), prediction_id: 'p1' },
      { t: 'submitted', ...ref('a'), prediction_id: 'p2' },
      { t: 'status', ...ref('a', 7), status: 'failed' },
      { t: 'status', ...ref('a'), status: 'completed' },
      { t: 'status', ...ref('a'), status: 'processing' },
    ]);
    expect(shot(lock, 'a')?.takes[0]).toMatchObject({ prediction_id: 'p1', status: 'completed' });
  });

  it('a torn last journal line (a kill in mid-write) is dropped', () => {
    const file = path.join(tmpDir(), 'j.ndjson');
    writeFileSync(file, `${JSON.stringify(intent('a', 'f'))}\n{"t":"submitted","at":"2026-11-24T1`);
    expect(readJournal(file).map((r) => r.rec.t)).toEqual(['intent']);
  });
});

describe('the store (money rule 8: durable cost stays O(1) per event)', () => {
  it('compacts the journal into the lockfile every max(256, 2 x shots) records, and for money records within the group-commit window only', async () => {
    const dir = tmpDir();
    const spec = path.join(dir, 't.yaml');
    const store = new LockStore(spec, 't', { groupCommitMs: 60_000 });
    for (let i = 0; i < 10; i++) await store.record(intent(`s${i}`, `f${i}`));
    for (let i = 0; i < 1000; i++) await store.record({ t: 'status', ...ref('s0', 9), status: 'processing' });
    const figures = store.stats();
    await store.close();
    expect(figures.journalRecords).toBe(1010);
    expect(figures.lockfileWrites).toBeLessThanOrEqual(1010 / 256 + 2);
    const onDisk = readLockfileOnDisk(path.join(dir, 't.lock.json'), 't');
    expect(onDisk?.version === 2 && onDisk.lock.endpoints[EP]?.shots.s9?.takes[0]?.fingerprint).toBe('f9');
  });

  it('a journal left by a killed run is replayed into the lockfile on the next open', async () => {
    const dir = tmpDir();
    const spec = path.join(dir, 't.yaml');
    const journal = path.join(dir, '.render', 't.journal.ndjson');
    // The first store stands for a run killed after these records: its timers (the group commit) are fake and
    // never fire, so it writes nothing more, as a dead process would (a real one would write into this folder
    // after the test removed it, in the middle of another test file).
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    try {
      const first = new LockStore(spec, 't', { groupCommitMs: 60_000 });
      await first.record(intent('a', 'f'));
      await first.record({ t: 'submitted', ...ref('a'), prediction_id: 'p1' });
    } finally {
      vi.useRealTimers();
    }
    // killed here: never closed, and the group commit has not come yet: the lockfile does not know p1
    expect(readFileSync(path.join(dir, 't.lock.json'), 'utf8')).not.toContain('p1');
    expect(readJournal(journal).map((l) => l.rec.t)).toEqual(['base', 'intent', 'submitted']);
    const second = new LockStore(spec, 't');
    expect(second.lock.endpoints[EP]?.shots.a?.takes[0]?.prediction_id).toBe('p1');
    await second.close();
    expect(readFileSync(path.join(dir, 't.lock.json'), 'utf8')).toContain('"prediction_id": "p1"');
    expect(readJournal(journal).map((l) => l.rec.t)).toEqual(['base']);
  });
});

describe('the process lock', () => {
  it('refuses a second apply on the same spec while one runs', () => {
    const dir = tmpDir();
    writeFileSync(path.join(dir, 't.apply.1.aaaa.json'), JSON.stringify({ pid: process.ppid, host: hostname(), started_at: AT }));
    expect(() => acquireProcessLock(dir, 't')).toThrow(/another render apply is running on this spec \(pid \d+/);
  });

  it('is taken from a process that died, whose file is removed', async () => {
    const dir = tmpDir();
    const dead = await launchChecked(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
    const stale = path.join(dir, `t.apply.${dead}.bbbb.json`);
    writeFileSync(stale, JSON.stringify({ pid: Number(dead), host: hostname(), started_at: AT }));
    const { release } = acquireProcessLock(dir, 't');
    const files = readdirSync(dir);
    expect(files).toHaveLength(1);
    expect(JSON.parse(readFileSync(path.join(dir, files[0]!), 'utf8')).pid).toBe(process.pid);
    expect(existsSync(stale)).toBe(false);
    release();
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('a damaged journal', () => {
  it('a line in the middle that is not a record is refused, naming the line, never skipped', () => {
    const file = path.join(tmpDir(), 'j.ndjson');
    writeFileSync(file, `null\n42\n{"t":"bogus"}\n${JSON.stringify(intent('a', 'f'))}\n`);
    expect(() => readJournal(file)).toThrow(/is damaged: line 1 is not a journal record/);
  });

  it('a folder where the journal belongs is a clear error, not a crash', () => {
    const dir = tmpDir();
    expect(() => readJournal(dir)).toThrow(/cannot read the journal .* \(EISDIR\)/);
  });
});
