import { randomUUID } from 'node:crypto';
import { statSync } from 'node:fs';
import path from 'node:path';
import { isRenderError, RenderError } from '../errors.js';
import { displayPath } from '../util/paths.js';
import { lockfilePath, readLockfileOnDisk, serializeLockfile } from './file.js';
import { journalDamaged, readJournal, type JournalLine } from './journal.js';
import { applyV1Record, migrateV1Lockfile, type V1Record } from './migrate-v1.js';
import type { JournalRecord } from './records.js';
import { applyRecord, replayChecked } from './reducer.js';
import { emptyLockfile, type Lockfile } from './schema.js';
import { checkNothingDropped, staleLockfile } from './stale.js';
import { journalPath, lastLockPath } from './paths.js';

export { journalPath, lastLockPath, stateDir } from './paths.js';
export { replayChecked } from './reducer.js';

/** The lockfile as it stands, with any journal of an interrupted run replayed over it, and its text on disk. */
export interface CurrentLock {
  lock: Lockfile;
  /**
   * The lockfile's text as read (version 2 with no wal only): a write of the same state leaves it alone, and the
   * lockfile's wal appends to it.
   */
  diskText?: string;
}

/** Reads of a lockfile that looked stale or damaged while another process kept rewriting it (see loadCurrentLock). */
const READ_ATTEMPTS = 50;

/**
 * Read the campaign's state: the lockfile, checked against the journal in `.render/` (state never goes backwards
 * silently, docs/ARCHITECTURE.md "State"), with the journal replayed over it. Read-only.
 *
 * `render status` or `plan` run while an apply compacts reads the lockfile, the journal and the last apply's copy
 * one after another, and a compaction replaces them in the same order: a reader in between sees a new journal over
 * the old lockfile, which is what a lockfile restored from an older commit looks like. So a lockfile refused while
 * those files changed under the read is read again, all of it; one refused while nothing moved is stale indeed.
 */
export function loadCurrentLock(specFile: string, name: string): CurrentLock {
  const files = [lockfilePath(specFile, name), journalPath(specFile, name), lastLockPath(specFile, name)];
  for (let attempt = 1; ; attempt++) {
    const before = files.map(identity);
    try {
      return loadOnce(specFile, name);
    } catch (err) {
      const moved = files.some((f, i) => identity(f) !== before[i]);
      if (!moved || attempt >= READ_ATTEMPTS || !isRenderError(err, 'LOCKFILE_INVALID')) throw err;
    }
  }
}

/** A file's inode, size and change time: what a rename or a write in place moves. */
function identity(file: string): string {
  const st = statSync(file, { bigint: true, throwIfNoEntry: false });
  return st ? `${st.ino}:${st.size}:${st.ctimeNs}:${st.mtimeNs}` : 'none';
}

function loadOnce(specFile: string, name: string): CurrentLock {
  const file = lockfilePath(specFile, name);
  const specName = path.basename(specFile);
  const onDisk = readLockfileOnDisk(file, name);
  const lines = readJournal(journalPath(specFile, name));
  const base = lines[0]?.rec.t === 'base' ? (lines[0].rec as unknown as Extract<JournalRecord, { t: 'base' }>) : undefined;
  const rest = base ? lines.slice(1) : lines;
  if (!onDisk || onDisk.version === 1) {
    if (base) throw staleLockfile(specFile, name, onDisk, base);
    const v1 = onDisk?.v1 ?? { version: 1 as const, name, shots: {}, uploads: {} };
    if (!onDisk && rest.length === 0) return { lock: emptyLockfile(name, specName, randomUUID()) };
    const replayV1 = (lines: readonly JournalLine[]) => {
      const copy = structuredClone(v1);
      for (const { rec } of lines) applyV1Record(copy, rec as unknown as V1Record);
      return migrateV1Lockfile(copy, specName);
    };
    return { lock: checkedReplay(specFile, name, rest, replayV1) };
  }
  const lock = onDisk.lock;
  if (base && (base.lineage !== lock.lineage || base.serial > lock.serial)) throw staleLockfile(specFile, name, onDisk, base);
  if (!base && rest.length > 0) throw damagedJournal(specFile, name, rest[0]!);
  const text = serializeLockfile(lock);
  // A lockfile with a wal (a run killed before its last full write) is not the text of its state: the next write
  // folds it, whatever else changed.
  const diskText = onDisk.wal === undefined ? text : undefined;
  const replay = (lines: readonly JournalLine[]) => {
    const copy = structuredClone(lock);
    for (const { rec } of lines) applyRecord(copy, rec as unknown as JournalRecord);
    return copy;
  };
  const state = rest.length === 0 ? lock : checkedReplay(specFile, name, rest, replay);
  // Against the state with the journal replayed: a run killed between the copy's write and the lockfile's leaves the
  // copy a write ahead of the lockfile, and the journal holds the difference (lock/file-backend.ts `snapshot`).
  checkNothingDropped(specFile, name, state, text);
  return { lock: state, diskText };
}

/**
 * The journal replayed over the lockfile, and the result checked against the lockfile's schema. A journal line
 * is only checked to be JSON with a known kind when it is read; one that is a record of that kind but lacks its
 * fields (a hand edit, another program) would otherwise land in the state as an undefined cost, and a NaN
 * "spent" passes every budget comparison. Such a journal is damage, refused naming the first line that breaks
 * the state (found by replaying again line by line, only when the whole replay is invalid).
 */
function checkedReplay(specFile: string, name: string, lines: readonly JournalLine[], replay: (lines: readonly JournalLine[]) => Lockfile): Lockfile {
  const checked = replayChecked(lines, replay);
  if ('lock' in checked) return checked.lock;
  const line = lines[checked.bad]!;
  throw journalDamaged(journalPath(specFile, name), line.line, `does not fit the state: its "${line.rec.t}" record leaves ${checked.where}`);
}

/** The lockfile with any interrupted run's journal replayed: what plan, status and takes read. */
export function readCurrentLock(specFile: string, name: string): Lockfile {
  return loadCurrentLock(specFile, name).lock;
}

function damagedJournal(specFile: string, name: string, first: JournalLine): RenderError {
  const journal = displayPath(journalPath(specFile, name));
  return new RenderError(
    'LOCKFILE_INVALID',
    `the journal ${journal} has no base record (line ${first.line} is "${first.rec.t}"): it was edited or written by something else`,
    {
      hint: 'if no apply is running, move it aside; shots it named can then be resolved with `render adopt` / `render forget`',
    },
  );
}
