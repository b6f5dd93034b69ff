import { copyFileSync, cpSync, linkSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCurrentLock } from '../../src/lock/current.js';
import { readLockfileOnDisk, serializeLockfile } from '../../src/lock/file.js';
import type { JournalRecord } from '../../src/lock/records.js';
import { emptyLockfile, type Lockfile } from '../../src/lock/schema.js';
import { LockStore } from '../../src/lock/store.js';
import { WalAppender } from '../../src/lock/wal.js';
import { tmpDir } from '../state/fakes.js';
import { errorOf } from '../helpers/errors.js';
import { tailOf } from '../helpers/files.js';

/**
 * The lockfile's wal (docs/ARCHITECTURE.md "Rule 8", docs/SPEC.md "Files the tool writes"): a record that something
 * was or may have been paid reaches the committed lockfile within the group-commit window by an append in place,
 * whatever the lockfile's size; the next full write folds it; every reader sees it; a tail torn by a crash is
 * repaired, damage anywhere else refused.
 */

const AT = '2026-11-24T10:00:00.000Z';
const EP = 'https://api.wavespeed.ai';
const take = (fingerprint: string, n = 1) => ({
  n,
  fingerprint,
  model: 'kwaivgi/kling-v3.0-4k/image-to-video',
  take: 1,
  duration: 5,
  cost_cents: 210,
  request: { prompt: `a prompt long enough to weigh like a real one: ${fingerprint}`, duration: 5 },
  submitted_at: AT,
});
const intent = (shot: string, n = 1): JournalRecord => ({
  t: 'intent',
  at: AT,
  endpoint: EP,
  shot,
  take: { ...take(`f-${shot}`, n), request: { prompt: shot } },
});
const submitted = (shot: string, id: string, n = 1): JournalRecord => ({ t: 'submitted', at: AT, endpoint: EP, shot, n, prediction_id: id });

/** A campaign of `shots` completed shots: about 0.7 KB each in the lockfile. */
function campaign(shots: number): Lockfile {
  const lock = emptyLockfile('t', 't.yaml', 'lineage-of-the-wal-test');
  lock.serial = 7;
  const state = { shots: {} as Lockfile['endpoints'][string]['shots'], uploads: {} };
  for (let i = 0; i < shots; i++) {
    const id = `done-${i}`;
    const output = { url: `https://cdn.example/${id}.mp4`, path: `renders/t/${id}.mp4`, sha256: 'a'.repeat(64), bytes: 1234567 };
    state.shots[id] = { current: 1, takes: [{ ...take(`f-${id}`), prediction_id: `p-${id}`, status: 'completed', completed_at: AT, outputs: [output] }] };
  }
  lock.endpoints[EP] = state;
  return lock;
}

/** A spec folder whose lockfile is `lock`, written as render writes it. */
function folderWith(lock: Lockfile): { spec: string; file: string } {
  const dir = tmpDir('render-wal-');
  const file = path.join(dir, 't.lock.json');
  writeFileSync(file, serializeLockfile(lock));
  return { spec: path.join(dir, 't.yaml'), file };
}

/** The committed lockfile alone (no journal), as any reader sees it. */
function committed(file: string): Lockfile {
  const onDisk = readLockfileOnDisk(file, 't');
  if (onDisk?.version !== 2) throw new Error('no version 2 lockfile');
  return onDisk.lock;
}

const predictionOf = (lock: Lockfile, shot: string) => lock.endpoints[EP]?.shots[shot]?.takes[0]?.prediction_id;

async function until(check: () => boolean, what: string): Promise<void> {
  for (let waited = 0; !check(); waited += 5) {
    if (waited > 20_000) throw new Error(`waited 20 s for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A lockfile with a wal of `records`, appended by render's own appender; and its text before the last append. */
function withWal(lock: Lockfile, batches: JournalRecord[][]): { file: string; before: string; after: string } {
  const { file } = folderWith(lock);
  const appender = new WalAppender(file);
  appender.adopt(readFileSync(file, 'utf8'));
  let before = '';
  for (const batch of batches) {
    before = readFileSync(file, 'utf8');
    for (const rec of batch) appender.push(rec);
    expect(appender.flush()).toBe(true);
  }
  appender.close();
  return { file, before, after: readFileSync(file, 'utf8') };
}

describe('a paid record reaches the committed lockfile by its wal', () => {
  it('within the group-commit window, with the lockfile far larger than 256 KB, without a full rewrite', async () => {
    const { spec, file } = folderWith(campaign(4000));
    const size = statSync(file).size;
    expect(size).toBeGreaterThan(2 * 1024 * 1024);
    const store = new LockStore(spec, 't', { groupCommitMs: 20 });
    const { ino } = statSync(file);
    await store.record(intent('new'));
    await store.record(submitted('new', 'p-new'));
    await until(() => tailOf(file, 4096).includes('"p-new"'), 'the prediction id in the committed lockfile');
    expect(predictionOf(committed(file), 'new')).toBe('p-new');
    // The same file, grown by the records alone: no temp file renamed over it, no byte of the state rewritten.
    expect(statSync(file).ino).toBe(ino);
    expect(store.stats().lockfileWrites).toBe(0);
    expect(statSync(file).size - size).toBeLessThan(2048);
    expect(readFileSync(file, 'utf8')).toMatch(/\n {2}"version": 2,\n {2}"wal": \[\n {4}\{.*"t":"intent".*\},\n {4}\{.*"t":"submitted".*\}\n {2}\]\n\}\n$/);
    await store.close();
  });

  it('the next full write folds the wal: its text has no "wal", its serial is one higher, and it holds the records', async () => {
    const { spec, file } = folderWith(campaign(2000));
    const store = new LockStore(spec, 't', { groupCommitMs: 20 });
    await store.record(intent('new'));
    await store.record(submitted('new', 'p-new'));
    await until(() => tailOf(file, 4096).includes('"wal"'), 'the records in the wal');
    await store.close();
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain('"wal"');
    expect(JSON.parse(text).serial).toBe(8);
    expect(predictionOf(JSON.parse(text) as Lockfile, 'new')).toBe('p-new');
  });

  it('after a full write, the next paid record is appended to the new file, whose wal starts anew', async () => {
    const { spec, file } = folderWith(campaign(2000));
    const store = new LockStore(spec, 't', { groupCommitMs: 20 });
    await store.record(intent('new'));
    await until(() => tailOf(file, 4096).includes('"wal"'), 'the intent in the wal');
    store.compact();
    const { ino } = statSync(file);
    await store.record(submitted('new', 'p-new'));
    await until(() => tailOf(file, 4096).includes('"p-new"'), 'the prediction id in the wal');
    expect(statSync(file).ino).toBe(ino);
    expect(readFileSync(file, 'utf8').match(/\n {4}\{/g)).toHaveLength(1);
    expect(predictionOf(committed(file), 'new')).toBe('p-new');
    await store.close();
  });

  it('a wal append leaves the serial alone (it counts full writes), so the journal in .render/ still matches', () => {
    const lock = campaign(3);
    const { file } = withWal(lock, [[intent('new')], [submitted('new', 'p-new')]]);
    expect(JSON.parse(readFileSync(file, 'utf8')).serial).toBe(7);
    expect(committed(file).serial).toBe(7);
  });

  it('never appends to a file the store did not write: a lockfile replaced in the meantime is written whole instead', async () => {
    const { spec, file } = folderWith(campaign(2000));
    const store = new LockStore(spec, 't', { groupCommitMs: 20 });
    // Another program puts a file of its own in place (same content, another inode): not the one the store wrote.
    const theirs = readFileSync(file);
    writeFileSync(`${file}.other`, theirs);
    renameSync(`${file}.other`, file);
    // A second name for their file: whatever happens at the path, their bytes must stay as they were.
    linkSync(file, `${file}.theirs`);
    await store.record(intent('new'));
    await store.record(submitted('new', 'p-new'));
    await until(() => predictionOf(committed(file), 'new') === 'p-new', 'the prediction in the committed lockfile');
    expect(readFileSync(`${file}.theirs`).equals(theirs)).toBe(true);
    expect(statSync(file).ino).not.toBe(statSync(`${file}.theirs`).ino);
    await store.close();
  });
});

describe('reading a lockfile with a wal', () => {
  it('folds its records into the state through the one reducer, in order', () => {
    const { file } = withWal(campaign(2), [[intent('a'), intent('b')], [submitted('a', 'p-a')]]);
    const lock = committed(file);
    expect(lock.endpoints[EP]?.shots.a).toMatchObject({ current: 1, takes: [{ status: 'submitted', prediction_id: 'p-a' }] });
    expect(lock.endpoints[EP]?.shots.b?.takes[0]?.status).toBe('submitting');
    expect(readLockfileOnDisk(file, 't')).toMatchObject({ wal: 3 });
  });

  it('a crash at any byte of an append (old bytes left past it, or zeros) leaves a lockfile that reads, with every earlier record', () => {
    for (const first of [true, false]) {
      const { before, after } = withWal(campaign(1), first ? [[intent('a'), submitted('a', 'p-a')]] : [[intent('a')], [submitted('a', 'p-a'), intent('b')]]);
      const dir = tmpDir('render-torn-');
      const file = path.join(dir, 't.lock.json');
      // Where the append began: the earlier text's closing bytes.
      const at = before.length - (first ? '\n}\n' : '\n  ]\n}\n').length;
      for (let k = 0; k < after.length - at; k++) {
        for (const rest of [before.slice(at + k), '\0'.repeat(after.length - at - k)]) {
          writeFileSync(file, after.slice(0, at + k) + rest);
          const lock = committed(file);
          if (!first) expect(lock.endpoints[EP]?.shots.a?.takes[0]?.status, `torn at byte ${k}`).toMatch(/^(submitting|submitted)$/);
          expect(Object.keys(lock.endpoints[EP]?.shots ?? {}).length, `torn at byte ${k}`).toBeGreaterThanOrEqual(first ? 1 : 2);
        }
      }
    }
  });

  it('a torn last line is dropped and the records before it are kept', () => {
    const { after } = withWal(campaign(1), [[intent('a')], [submitted('a', 'p-a')]]);
    const torn = after.replace(/\n {2}\]\n\}\n$/, ',\n    {"at":"2026-11-24T10:00:00.000Z","endpoint":"https://api.wa');
    const file = path.join(tmpDir('render-torn-'), 't.lock.json');
    writeFileSync(file, torn);
    expect(() => JSON.parse(torn)).toThrow();
    expect(predictionOf(committed(file), 'a')).toBe('p-a');
  });

  it('damage before the wal is refused, as any damaged lockfile is', () => {
    const { after } = withWal(campaign(1), [[intent('a')]]);
    const file = path.join(tmpDir('render-torn-'), 't.lock.json');
    writeFileSync(file, after.replace('"lineage": "lineage-of-the-wal-test",', '"lineage": "lineage-of-the-wal-test"'));
    const err = errorOf(() => readLockfileOnDisk(file, 't'));
    expect(err.code).toBe('LOCKFILE_INVALID');
    expect(err.message).toMatch(/t\.lock\.json is not valid JSON/);
  });

  it('a damaged wal line with complete records after it is refused, never skipped: it may be a paid prediction', () => {
    const { after } = withWal(campaign(1), [[intent('a'), intent('b'), intent('c')]]);
    const lines = after.split('\n');
    const b = lines.findIndex((l) => l.includes('"shot":"b"'));
    lines[b] = lines[b]!.slice(0, 40);
    const file = path.join(tmpDir('render-torn-'), 't.lock.json');
    writeFileSync(file, lines.join('\n'));
    expect(errorOf(() => readLockfileOnDisk(file, 't')).message).toMatch(/t\.lock\.json is not valid JSON/);
  });

  it('a line added after the end of a whole lockfile is refused, not taken for a torn append', () => {
    for (const batches of [[], [[intent('a')]]]) {
      const { after } = withWal(campaign(1), batches);
      for (const added of ['garbage{\n', '{"x":1}\n', 'garbage{']) {
        const file = path.join(tmpDir('render-torn-'), 't.lock.json');
        writeFileSync(file, after + added);
        expect(errorOf(() => readLockfileOnDisk(file, 't')).message, JSON.stringify(added)).toMatch(/t\.lock\.json is not valid JSON/);
      }
    }
  });

  it('a wal entry that is not a record render writes is refused, naming it', () => {
    const { after } = withWal(campaign(1), [[intent('a')]]);
    const file = path.join(tmpDir('render-torn-'), 't.lock.json');
    writeFileSync(file, after.replace('"t":"intent"', '"t":"payment"'));
    const err = errorOf(() => readLockfileOnDisk(file, 't'));
    expect(err.message).toMatch(/is not a valid render lockfile/);
    expect(err.issues[0]?.message).toMatch(/wal\.0|is not a write-ahead record/);
  });
});

describe('a lockfile replaced while the run goes on', () => {
  it('(a `git checkout` of it) is written again within the window, with what the run recorded, without another record', async () => {
    const { spec, file } = folderWith(campaign(400));
    const older = readFileSync(file, 'utf8');
    const store = new LockStore(spec, 't', { groupCommitMs: 50 });
    try {
      await store.record(intent('new-shot'));
      await store.record(submitted('new-shot', 'p-new'));
      await new Promise((r) => setTimeout(r, 150));
      expect(predictionOf(committed(file), 'new-shot')).toBe('p-new');
      // The user checks out the committed lockfile from before the run, mid-run.
      writeFileSync(`${file}.checkout`, older);
      renameSync(`${file}.checkout`, file);
      expect(predictionOf(committed(file), 'new-shot')).toBeUndefined();
      await new Promise((r) => setTimeout(r, 300));
      expect(predictionOf(committed(file), 'new-shot')).toBe('p-new');
    } finally {
      await store.close();
    }
  });
});

describe('a damaged lockfile whose wal held paid records', () => {
  it("names the copy in .render/ as the way back, and that copy with the journal holds every paid record, the wal's too", async () => {
    const { spec, file } = folderWith(campaign(50));
    const store = new LockStore(spec, 't', { groupCommitMs: 20 });
    await store.record(intent('a'));
    await store.record(submitted('a', 'p-a'));
    store.compact(); // a full write mid-run: the lockfile, then its copy in .render/
    await store.record(intent('b'));
    await store.record(submitted('b', 'p-b'));
    await until(() => tailOf(file, 4096).includes('"p-b"'), 'the prediction id in the wal');
    // What a SIGKILL here leaves: the folder as it is now, the run gone.
    const killed = path.join(tmpDir('render-killed-'), 'campaign');
    cpSync(path.dirname(file), killed, { recursive: true });
    await store.close();
    const lockFile = path.join(killed, 't.lock.json');
    // Then the lockfile is damaged before the wal (a page zeroed): git's version has neither p-a nor p-b.
    const text = readFileSync(lockFile, 'utf8');
    const at = text.indexOf('"done-10"');
    writeFileSync(lockFile, text.slice(0, at) + '\0'.repeat(4096) + text.slice(at + 4096));
    const err = errorOf(() => readCurrentLock(path.join(killed, 't.yaml'), 't'));
    expect(err.message).toMatch(/t\.lock\.json is not valid JSON/);
    expect(err.hint).toMatch(/^copy \S*\.render\/t\.last\.lock\.json over it \(`cp \S*\.render\/t\.last\.lock\.json \S*t\.lock\.json`\)/);
    expect(err.hint).toMatch(/without it, restore it from git/);
    copyFileSync(path.join(killed, '.render', 't.last.lock.json'), lockFile); // the hint, followed
    const lock = readCurrentLock(path.join(killed, 't.yaml'), 't');
    expect([predictionOf(lock, 'a'), predictionOf(lock, 'b')]).toEqual(['p-a', 'p-b']);
    expect(Object.keys(lock.endpoints[EP]?.shots ?? {})).toHaveLength(52);
  });

  it('a copy left behind the lockfile (a run killed between the two writes) is brought up by the next run as it opens', async () => {
    const { spec, file } = folderWith(campaign(3));
    const older = readFileSync(file, 'utf8'); // serial 7
    const first = new LockStore(spec, 't', { groupCommitMs: 20 });
    await first.record(intent('a'));
    await first.close();
    const copy = path.join(path.dirname(file), '.render', 't.last.lock.json');
    writeFileSync(copy, older);
    const next = new LockStore(spec, 't', { groupCommitMs: 20 });
    expect(readFileSync(copy, 'utf8')).toBe(readFileSync(file, 'utf8'));
    await next.close();
  });

  it('a kill between the copy and the lockfile (the copy a write ahead) reads as the lockfile with its journal, not as a merge that dropped takes', async () => {
    const { spec, file } = folderWith(campaign(3));
    const first = new LockStore(spec, 't', { groupCommitMs: 60_000 });
    await first.record(intent('a'));
    await first.record(submitted('a', 'p-a'));
    await first.close();
    const store = new LockStore(spec, 't', { groupCommitMs: 60_000 });
    await store.record(intent('b'));
    await store.record(submitted('b', 'p-b'));
    // The next full write's first half: its copy, with the state the journal holds, one serial up; then the kill.
    const ahead = readCurrentLock(spec, 't');
    ahead.serial += 1;
    writeFileSync(path.join(path.dirname(file), '.render', 't.last.lock.json'), serializeLockfile(ahead));
    const lock = readCurrentLock(spec, 't');
    expect([predictionOf(lock, 'a'), predictionOf(lock, 'b')]).toEqual(['p-a', 'p-b']);
    await store.close();
  });

  it('with a copy behind the journal, the hint leads with git and says what the copy is', async () => {
    const { spec, file } = folderWith(campaign(3));
    const older = readFileSync(file, 'utf8'); // serial 7
    const store = new LockStore(spec, 't', { groupCommitMs: 20 });
    await store.record(intent('a'));
    await store.close(); // the journal now starts at serial 8
    writeFileSync(path.join(path.dirname(file), '.render', 't.last.lock.json'), older);
    writeFileSync(file, readFileSync(file, 'utf8').replace('"serial": 8,', '"serial": 8'));
    const hint = errorOf(() => readLockfileOnDisk(file, 't')).hint;
    expect(hint).toMatch(
      /^restore it from git \(`git checkout -- \S*t\.lock\.json`\); never delete it: it records what was paid for; or copy \S*t\.last\.lock\.json over it \(`cp [^`]*`\), the last full write this folder made \(serial 7\)/,
    );
  });

  it('without a copy in .render/ (a fresh clone), says to restore it from git', () => {
    const { file } = withWal(campaign(3), [[intent('a')]]);
    writeFileSync(file, readFileSync(file, 'utf8').replace('"serial": 7,', '"serial": 7'));
    expect(errorOf(() => readLockfileOnDisk(file, 't')).hint).toMatch(/^restore it from git \(`git checkout -- \S*t\.lock\.json`\)/);
  });
});
