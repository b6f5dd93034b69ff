import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { RenderError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import { displayPath } from '../util/paths.js';
import { lockfilePath, readLockfileOnDisk, serializeLockfile, writeLockfile, type LockfileOnDisk } from './file.js';
import { Journal, journalDamaged, readJournal, type JournalLine } from './journal.js';
import { applyV1Record, migrateV1Lockfile, type V1Record } from './migrate-v1.js';
import type { JournalRecord } from './records.js';
import { applyRecord } from './reducer.js';
import { emptyLockfile, LockfileSchema, type Lockfile } from './schema.js';

/** Working state that is not committed lives in `.render/` beside the spec (docs/SPEC.md). */
export function stateDir(specFile: string): string {
  return path.join(path.dirname(specFile), '.render');
}

export function journalPath(specFile: string, name: string): string {
  return path.join(stateDir(specFile), `${name}.journal.ndjson`);
}

/** The copy of the lockfile an apply leaves in `.render/` when it ends: the way back from a stale lockfile. */
function lastLockPath(specFile: string, name: string): string {
  return path.join(stateDir(specFile), `${name}.last.lock.json`);
}

/** The lockfile as it stands, with any journal of an interrupted run replayed over it, and its text on disk. */
export interface CurrentLock {
  lock: Lockfile;
  /** The lockfile's text as read (version 2 only): a write of the same state leaves it alone. */
  diskText?: string;
}

/**
 * Read the campaign's state: the lockfile, checked against the journal in `.render/` (state never goes backwards
 * silently, docs/ARCHITECTURE.md "State"), with the journal replayed over it. Read-only.
 */
export function loadCurrentLock(specFile: string, name: string): CurrentLock {
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
  const diskText = serializeLockfile(lock);
  if (rest.length === 0) return { lock, diskText };
  const replay = (lines: readonly JournalLine[]) => {
    const copy = structuredClone(lock);
    for (const { rec } of lines) applyRecord(copy, rec as unknown as JournalRecord);
    return copy;
  };
  return { lock: checkedReplay(specFile, name, rest, replay), diskText };
}

/**
 * The journal replayed over the lockfile, and the result checked against the lockfile's schema. A journal line
 * is only checked to be JSON with a known kind when it is read; one that is a record of that kind but lacks its
 * fields (a hand edit, another program) would otherwise land in the state as an undefined cost, and a NaN
 * "spent" passes every budget comparison. Such a journal is damage, refused naming the first line that breaks
 * the state (found by replaying again line by line, only when the whole replay is invalid).
 */
function checkedReplay(specFile: string, name: string, lines: readonly JournalLine[], replay: (lines: readonly JournalLine[]) => Lockfile): Lockfile {
  const lock = replay(lines);
  if (lines.length === 0 || LockfileSchema.safeParse(lock).success) return lock;
  for (let k = 1; k <= lines.length; k++) {
    const parsed = LockfileSchema.safeParse(replay(lines.slice(0, k)));
    if (parsed.success) continue;
    const issue = parsed.error.issues[0];
    const where = issue ? `${issue.path.join('.')}: ${issue.message}` : 'invalid state';
    throw journalDamaged(journalPath(specFile, name), lines[k - 1]!.line, `does not fit the state: its "${lines[k - 1]!.rec.t}" record leaves ${where}`);
  }
  throw journalDamaged(journalPath(specFile, name), lines.at(-1)!.line, 'leaves the state invalid');
}

/** The lockfile with any interrupted run's journal replayed: what plan, status and takes read. */
export function readCurrentLock(specFile: string, name: string): Lockfile {
  return loadCurrentLock(specFile, name).lock;
}

function staleLockfile(specFile: string, name: string, onDisk: LockfileOnDisk | undefined, base: { lineage: string; serial: number }): RenderError {
  const shown = displayPath(lockfilePath(specFile, name));
  const journal = displayPath(journalPath(specFile, name));
  const last = lastLockPath(specFile, name);
  const restore = existsSync(last) ? ` or from the copy the last apply left: \`cp ${displayPath(last)} ${shown}\`` : '';
  const what = !onDisk
    ? `${shown} is missing, but ${journal} records this campaign's state up to lockfile serial ${base.serial}`
    : onDisk.version === 1 || onDisk.lock.lineage !== base.lineage
      ? `${shown} is not the lockfile ${journal} was written against (another lineage: restored from an older commit, copied from another campaign, or made anew)`
      : `${shown} is older (serial ${onDisk.lock.serial}) than the state this machine last wrote (serial ${base.serial}): it was restored from an older commit or copied over`;
  return new RenderError('LOCKFILE_INVALID', `${what}; planning from it could pay again for shots it does not know`, {
    hint: `restore the newer lockfile from git${restore}; if this lockfile is the one you mean to keep (a merge you checked), move ${journal} aside and run again`,
  });
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

export interface StoreFigures {
  lockfileBytes: number;
  lockfileWrites: number;
  journalBytes: number;
  journalRecords: number;
}

/** Records after which the committed lockfile must know about them soon: they are money. */
const GROUP_COMMIT_KINDS: ReadonlySet<JournalRecord['t']> = new Set(['intent', 'submitted', 'unknown', 'refused', 'forgotten', 'current', 'kept']);

/**
 * Of those, the records that say a prediction was or may have been paid for: lost with `.render/` they would let the
 * next apply pay for it again, so they reach the committed lockfile within `minMs` whatever its size (docs/
 * ARCHITECTURE.md "Known gaps": the exposure stays half a second).
 */
const PAID_KINDS: ReadonlySet<JournalRecord['t']> = new Set(['intent', 'submitted', 'unknown']);

/**
 * How long a money record waits for the lockfile write that holds it (undefined: it forces none). A paid record:
 * `minMs`. The others (a refusal, a forgotten intent, which take is current, a file kept aside: lost, they make the
 * next run count too much spent or redo a move, never pay) wait `minMs` up to 256 KB of lockfile, then 2 ms per KB,
 * so once the submits are done a run writes the lockfile at most 0.5 MB a second whatever its size (rule 8).
 */
export function groupCommitWindowMs(kind: JournalRecord['t'], lockfileBytes: number, minMs: number): number | undefined {
  if (!GROUP_COMMIT_KINDS.has(kind)) return undefined;
  if (PAID_KINDS.has(kind)) return minMs;
  return Math.max(minMs, Math.round(lockfileBytes / 512));
}

export interface LockStoreOptions {
  /** Applied to every string a record carries before it is kept in memory or written (the API key never lands). */
  redact?: (text: string) => string;
  /**
   * Longest wait between a paid record (intent, prediction id, unknown) and the lockfile write that holds it (group
   * commit; default 500 ms); other money records wait as long up to 256 KB of lockfile, then 2 ms per KB of it
   * (`groupCommitWindowMs`). The journal holds every record at once.
   */
  groupCommitMs?: number;
}

/**
 * The durable state of one apply (docs/ARCHITECTURE.md "State"): the lockfile in memory, every change appended to
 * the journal before the caller goes on, and compacted into the lockfile atomically: within `groupCommitMs` of any
 * money record (an intent, a prediction id), so the committed lockfile, not `.render/`, is the record; and
 * otherwise every max(256, 2 × shots) records, so I/O stays linear in the number of shots (rule 8).
 */
export class LockStore {
  readonly lock: Lockfile;
  readonly lockFile: string;
  private readonly journal: Journal;
  private readonly figures: StoreFigures = { lockfileBytes: 0, lockfileWrites: 0, journalBytes: 0, journalRecords: 0 };
  private compactEvery = 256;
  private writeError: Error | undefined;
  private diskText: string | undefined;
  private commitTimer: NodeJS.Timeout | undefined;
  private commitAt = 0;
  private readonly redact: (text: string) => string;
  private readonly redacting: boolean;
  private readonly groupCommitMs: number;

  constructor(
    private readonly specFile: string,
    private readonly name: string,
    options: LockStoreOptions = {},
  ) {
    this.lockFile = lockfilePath(specFile, name);
    const current = loadCurrentLock(specFile, name);
    this.lock = current.lock;
    this.diskText = current.diskText;
    this.redact = options.redact ?? ((t) => t);
    this.redacting = options.redact !== undefined;
    this.groupCommitMs = options.groupCommitMs ?? 500;
    this.journal = new Journal(journalPath(specFile, name));
    this.compact();
  }

  /** Apply a change in memory, then make it durable; resolves once it is on disk. */
  async record(rec: JournalRecord): Promise<void> {
    if (this.writeError) throw this.writeError;
    const clean = this.redacting ? redactRecord(rec, this.redact) : rec;
    applyRecord(this.lock, clean);
    this.figures.journalRecords++;
    await this.journal.append(clean);
    const windowMs = groupCommitWindowMs(clean.t, this.diskText?.length ?? 0, this.groupCommitMs);
    if (windowMs !== undefined) this.commitSoon(windowMs);
    if (this.journal.records >= this.compactEvery) this.compact();
  }

  /**
   * Record a change whose durability nothing waits on (a status change: the next run polls again). Keeps fsyncs
   * off the path from one render to the next; a write failure surfaces at the next `record` or at `flush`.
   */
  note(rec: JournalRecord): void {
    this.record(rec).catch((err: unknown) => {
      this.writeError ??= err instanceof Error ? err : new Error(String(err));
    });
  }

  /** Compact within `windowMs`: a write already due sooner stands; one due later is brought forward. */
  private commitSoon(windowMs: number): void {
    const at = performance.now() + windowMs;
    if (this.commitTimer && this.commitAt <= at) return;
    clearTimeout(this.commitTimer);
    this.commitAt = at;
    this.commitTimer = setTimeout(() => {
      this.commitTimer = undefined;
      try {
        this.compact();
      } catch (err) {
        this.writeError ??= err instanceof Error ? err : new Error(String(err));
      }
    }, windowMs);
  }

  /** Write the lockfile atomically (if its state changed) and start the journal anew on top of it. */
  compact(): void {
    const { text, bytes } = writeLockfile(this.lockFile, this.lock, this.diskText);
    this.diskText = text;
    if (bytes > 0) {
      this.figures.lockfileBytes += bytes;
      this.figures.lockfileWrites++;
    }
    this.journal.reset({ t: 'base', at: new Date().toISOString(), lineage: this.lock.lineage, serial: this.lock.serial });
    let shots = 0;
    for (const state of Object.values(this.lock.endpoints)) shots += Object.keys(state.shots).length;
    this.compactEvery = Math.max(256, 2 * shots);
  }

  /** Wait for pending records, then compact: the lockfile holds everything recorded so far. */
  async flush(): Promise<void> {
    await this.journal.drain();
    if (this.writeError) throw this.writeError;
    this.compact();
  }

  /** Flush, leave a copy of the lockfile in `.render/` (the way back if an older one is restored), close. */
  async close(): Promise<void> {
    clearTimeout(this.commitTimer);
    this.commitTimer = undefined;
    try {
      await this.flush();
      if (this.diskText !== undefined) writeFileAtomic(lastLockPath(this.specFile, this.name), this.diskText);
    } finally {
      this.journal.close();
    }
  }

  stats(): StoreFigures {
    return { ...this.figures, journalBytes: this.journal.bytesWritten };
  }
}

/** Every string in a record, redacted (keys are render's own and never secret). */
function redactRecord<T>(value: T, redact: (text: string) => string): T {
  if (typeof value === 'string') return redact(value) as T;
  if (Array.isArray(value)) return value.map((v) => redactRecord(v, redact)) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = redactRecord(v, redact);
    return out as T;
  }
  return value;
}
