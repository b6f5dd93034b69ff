import { existsSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readJournal } from '../../src/lock/journal.js';
import type { JournalRecord } from '../../src/lock/records.js';
import { emptyLockfile, type Lockfile } from '../../src/lock/schema.js';
import { readLockfile, serializeLockfile, writeLockfile } from '../../src/lock/file.js';
import { acquireProcessLock } from '../../src/lock/process-lock.js';
import { applyRecord } from '../../src/lock/reducer.js';
import { LockStore } from '../../src/lock/store.js';
import { isRenderError } from '../../src/errors.js';
import { tmpDir } from './fakes.js';

const AT = '2026-11-24T10:00:00.000Z';
const take = (fingerprint: string) => ({
  fingerprint,
  endpoint: 'e',
  model: 'm',
  take: 1,
  duration: 5,
  cost_cents: 210,
  request: { prompt: fingerprint, duration: 5 },
  submitted_at: AT,
});
const output = (p: string) => ({ url: `http://x/${p}`, path: p, sha256: 'a'.repeat(64), bytes: 3 });

function replay(records: JournalRecord[]): Lockfile {
  const lock = emptyLockfile('t');
  for (const r of records) applyRecord(lock, r);
  return lock;
}

describe('the lockfile', () => {
  it('is written with version 1, keys sorted at every depth, and a final newline', () => {
    const lock = replay([
      { t: 'intent', at: AT, shot: 'b', take: take('f1') },
      { t: 'intent', at: AT, shot: 'a', take: take('f2') },
    ]);
    const text = serializeLockfile(lock);
    expect(text.endsWith('}\n')).toBe(true);
    const parsed = JSON.parse(text);
    expect(parsed.version).toBe(1);
    expect(Object.keys(parsed)).toEqual([...Object.keys(parsed)].sort());
    expect(Object.keys(parsed.shots)).toEqual(['a', 'b']);
    expect(Object.keys(parsed.shots.a)).toEqual([...Object.keys(parsed.shots.a)].sort());
  });

  it('is not rewritten when its bytes would not change, and leaves no temp file', async () => {
    const dir = tmpDir();
    const file = path.join(dir, 't.lock.json');
    const lock = replay([{ t: 'intent', at: AT, shot: 'a', take: take('f') }]);
    expect(writeLockfile(file, lock)).toBeGreaterThan(0);
    // Dated an hour back, so a rewrite shows in the mtime however fast it comes (no sleep to make them differ).
    const before = new Date(Date.now() - 3_600_000);
    utimesSync(file, before, before);
    const mtime = statSync(file).mtimeMs;
    expect(writeLockfile(file, lock)).toBe(0);
    expect(statSync(file).mtimeMs).toBe(mtime);
    expect(readdirSync(dir)).toEqual(['t.lock.json']);
    expect(readLockfile(file, 't')).toEqual(lock);
  });

  it.each([
    ['a future version', '{"version": 2, "name": "t", "shots": {}}', /is lockfile version 2; this render reads version 1/],
    ['merge-conflict markers', '{\n<<<<<<< HEAD\n"version": 1\n=======\n>>>>>>> other\n}', /has git merge-conflict markers/],
    ['broken JSON', '{"version": 1, "name": ', /is not valid JSON/],
    ['a hand edit that breaks a field', '{"version": 1, "name": "t", "shots": {"a": {"status": "done"}}}', /is not a valid render lockfile/],
    ["another spec's name", '{"version": 1, "name": "other", "shots": {}}', /belongs to spec "other"/],
  ])('refuses %s with a clear message', (_what, text, message) => {
    const file = path.join(tmpDir(), 't.lock.json');
    writeFileSync(file, text);
    let err: unknown;
    try {
      readLockfile(file, 't');
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
      { t: 'intent', at: AT, shot: 'a', take: take('f') },
      { t: 'submitted', at: AT, shot: 'a', fingerprint: 'f', prediction_id: 'p1' },
      { t: 'status', at: AT, shot: 'a', prediction_id: 'p1', status: 'completed', outputs: ['http://x/o.mp4'] },
      { t: 'output', at: AT, shot: 'a', prediction_id: 'p1', outputs: [output('renders/t/a.mp4')] },
    ]);
    expect(lock.shots.a).toMatchObject({ status: 'completed', prediction_id: 'p1', outputs: [output('renders/t/a.mp4')], history: [] });
    expect(lock.shots.a?.remote_outputs).toBeUndefined();
  });

  it('a new take moves the earlier one into history; a refused submit puts it back', () => {
    const done: JournalRecord[] = [
      { t: 'intent', at: AT, shot: 'a', take: take('f1') },
      { t: 'submitted', at: AT, shot: 'a', fingerprint: 'f1', prediction_id: 'p1' },
      { t: 'status', at: AT, shot: 'a', prediction_id: 'p1', status: 'completed' },
      { t: 'output', at: AT, shot: 'a', prediction_id: 'p1', outputs: [output('a.mp4')] },
    ];
    const replaced = replay([...done, { t: 'intent', at: AT, shot: 'a', take: take('f2') }]);
    expect(replaced.shots.a).toMatchObject({ fingerprint: 'f2', status: 'submitting' });
    expect(replaced.shots.a?.history.map((h) => h.prediction_id)).toEqual(['p1']);

    const refused = replay([
      ...done,
      { t: 'intent', at: AT, shot: 'a', take: take('f2') },
      { t: 'refused', at: AT, shot: 'a', fingerprint: 'f2', code: 'INVALID_INPUT', message: 'no' },
    ]);
    expect(refused.shots.a).toMatchObject({ fingerprint: 'f1', prediction_id: 'p1', status: 'completed', history: [] });
  });

  it('a record for a take that is no longer pending is ignored, not trusted', () => {
    const lock = replay([
      { t: 'intent', at: AT, shot: 'a', take: take('f1') },
      { t: 'submitted', at: AT, shot: 'a', fingerprint: 'f1', prediction_id: 'p1' },
      { t: 'submitted', at: AT, shot: 'a', fingerprint: 'f1', prediction_id: 'p2' },
      { t: 'status', at: AT, shot: 'a', prediction_id: 'p-unknown', status: 'failed' },
    ]);
    expect(lock.shots.a).toMatchObject({ prediction_id: 'p1', status: 'submitted' });
  });

  it('a torn last journal line (a kill in mid-write) is dropped', () => {
    const file = path.join(tmpDir(), 'j.ndjson');
    writeFileSync(file, `${JSON.stringify({ t: 'intent', at: AT, shot: 'a', take: take('f') })}\n{"t":"submitted","at":"2026-11-24T1`);
    expect(readJournal(file).map((r) => r.t)).toEqual(['intent']);
  });
});

describe('the store (money rule 8: durable cost stays O(1) per event)', () => {
  it('compacts the journal into the lockfile every max(256, 2 x shots) records, not on every record', async () => {
    const dir = tmpDir();
    const spec = path.join(dir, 't.yaml');
    const store = new LockStore(spec, 't');
    for (let i = 0; i < 10; i++) await store.record({ t: 'intent', at: AT, shot: `s${i}`, take: take(`f${i}`) });
    for (let i = 0; i < 1000; i++) await store.record({ t: 'status', at: AT, shot: 's0', prediction_id: 'none', status: 'processing' });
    const figures = store.stats();
    await store.close();
    expect(figures.journalRecords).toBe(1010);
    expect(figures.lockfileWrites).toBeLessThanOrEqual(1010 / 256 + 1);
    expect(readLockfile(path.join(dir, 't.lock.json'), 't').shots.s9?.fingerprint).toBe('f9');
  });

  it('a journal left by a killed run is replayed into the lockfile on the next open', async () => {
    const dir = tmpDir();
    const spec = path.join(dir, 't.yaml');
    const journal = path.join(dir, '.render', 't.journal.ndjson');
    const first = new LockStore(spec, 't');
    await first.record({ t: 'intent', at: AT, shot: 'a', take: take('f') });
    await first.record({ t: 'submitted', at: AT, shot: 'a', fingerprint: 'f', prediction_id: 'p1' });
    // killed here: never closed, the lockfile does not know p1 yet
    expect(existsSync(path.join(dir, 't.lock.json')) ? readFileSync(path.join(dir, 't.lock.json'), 'utf8') : '').not.toContain('p1');
    expect(readJournal(journal)).toHaveLength(2);
    const second = new LockStore(spec, 't');
    expect(second.lock.shots.a?.prediction_id).toBe('p1');
    await second.close();
    expect(readFileSync(path.join(dir, 't.lock.json'), 'utf8')).toContain('"prediction_id": "p1"');
    expect(readJournal(journal)).toHaveLength(0);
  });
});

describe('the process lock', () => {
  it('refuses a second apply on the same spec while one runs', () => {
    const dir = tmpDir();
    writeFileSync(path.join(dir, 't.pid'), JSON.stringify({ pid: process.ppid, host: hostname(), started_at: AT }));
    expect(() => acquireProcessLock(dir, 't')).toThrow(/another render apply is running on this spec \(pid \d+/);
  });

  it('is taken over from a process that died', () => {
    const dir = tmpDir();
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    writeFileSync(path.join(dir, 't.pid'), JSON.stringify({ pid: Number(dead), host: hostname(), started_at: AT }));
    const release = acquireProcessLock(dir, 't');
    expect(JSON.parse(readFileSync(path.join(dir, 't.pid'), 'utf8')).pid).toBe(process.pid);
    release();
    expect(existsSync(path.join(dir, 't.pid'))).toBe(false);
  });
});

describe('a damaged journal', () => {
  it('records of no known kind (null, a number, a hand edit) are ignored, not trusted', () => {
    const file = path.join(tmpDir(), 'j.ndjson');
    writeFileSync(file, `null\n42\n{"t":"bogus"}\n${JSON.stringify({ t: 'intent', at: AT, shot: 'a', take: take('f') })}\n`);
    expect(readJournal(file).map((r) => r.t)).toEqual(['intent']);
  });

  it('a folder where the journal belongs is a clear error, not a crash', () => {
    const dir = tmpDir();
    expect(() => readJournal(dir)).toThrow(/cannot read the journal .* \(EISDIR\)/);
  });
});
