import type { CurrentLock } from './current.js';
import type { JournalRecord } from './records.js';
import type { Lockfile } from './schema.js';

/** What a backend wrote, for the apply summary and the benchmarks. */
export interface StoreFigures {
  /** Bytes of every full write of the lockfile and of every append to its wal. */
  lockfileBytes: number;
  /** Full writes of the lockfile (a compaction); appends to its wal are not counted. */
  lockfileWrites: number;
  journalBytes: number;
  journalRecords: number;
  /** Round trips to the state database (PostgreSQL backend only). */
  dbRoundTrips?: number;
}

/**
 * Where the records of a campaign are made durable (docs/ARCHITECTURE.md "State: lockfile, journal and takes",
 * "Team state"). The store above it owns the lockfile in memory and the one reducer; a backend only keeps the records
 * and the snapshots, so the money rules are the same whatever it is: the files (a journal in `.render/` compacted
 * into the lockfile) or PostgreSQL (records in tables, the lockfile beside the spec written as a snapshot).
 */
export interface StateBackend {
  /** The campaign's state when the backend was opened, every earlier record replayed. */
  readonly loaded: CurrentLock;
  /**
   * Whether the lockfile itself is the record: then a money record must reach it, a paid one within the group-commit
   * window (files). A database makes each record durable on its own, and snapshots only bound the replay.
   */
  readonly snapshotsMoney: boolean;
  /** The size of the last snapshot written (the lockfile's bytes), when the snapshot is the record (files). */
  readonly snapshotBytes?: number;
  /** Records appended since the last snapshot. */
  readonly pending: number;
  /** Make a record durable; resolves once it is. */
  append(rec: JournalRecord): Promise<void>;
  /**
   * Files: queue a record that something was or may have been paid (already durable by `append`) for the lockfile's
   * wal, so it reaches the committed lockfile without a full write (docs/ARCHITECTURE.md "Rule 8").
   */
  pushPaid?(rec: JournalRecord): void;
  /**
   * Append the queued paid records to the committed lockfile's wal, durably. False when they cannot be (the file on
   * disk is not the one the backend last wrote): the caller then takes a snapshot, which writes the file whole.
   */
  flushPaid?(): boolean;
  /** The committed file is not the one last written (another program replaced it): a snapshot writes it again. */
  replaced?(): boolean;
  /** Files: the journal was deleted under the run (`.render/` removed) and is opened anew: a snapshot must follow. */
  reopen?(): boolean;
  /**
   * Take a snapshot of the state: bumps `lock.serial` when the state changed since the last one (at once, so the
   * caller's lockfile is the one written). A backend may finish it later; `drain` waits for it, and a failure
   * surfaces there.
   */
  snapshot(lock: Lockfile): void;
  /** Wait until every record appended and every snapshot taken so far is durable. */
  drain(): Promise<void>;
  /** The end of the run: `ok` when the last snapshot holds everything. Releases what the backend holds. */
  close(ok: boolean): Promise<void>;
  stats(): StoreFigures;
  /** Where a take's outputs were downloaded, when not here (a state database knows; the files do not). */
  readonly downloadedElsewhere?: LoadedState['downloadedElsewhere'];
}

/**
 * The campaign's state as read from a state database, for commands that only read (plan, status, takes, report,
 * cut) and for the plan of an apply: the lockfile as the database has it, what to tell the user about the lockfile
 * beside the spec, and where each downloaded video is when it is not in this folder.
 */
export interface LoadedState {
  lock: Lockfile;
  warnings: string[];
  /** `host:folder` of the run that downloaded a take's outputs, when that is not this machine and folder. */
  downloadedElsewhere?: (endpoint: string, shot: string, n: number) => string | undefined;
}
