import path from 'node:path';
import { Journal, readJournal } from './journal.js';
import type { JournalRecord } from './records.js';
import type { Lockfile } from './schema.js';
import { lockfilePath, readLockfile, writeLockfile } from './file.js';
import { applyRecord } from './reducer.js';

/** Working state that is not committed lives in `.render/` beside the spec (docs/SPEC.md "Files the tool writes"). */
export function stateDir(specFile: string): string {
  return path.join(path.dirname(specFile), '.render');
}

export function journalPath(specFile: string, name: string): string {
  return path.join(stateDir(specFile), `${name}.journal.ndjson`);
}

/** The lockfile as it stands with any journal of an interrupted run replayed over it (read-only). */
export function readCurrentLock(specFile: string, name: string): Lockfile {
  const lock = readLockfile(lockfilePath(specFile, name), name);
  for (const rec of readJournal(journalPath(specFile, name))) applyRecord(lock, rec);
  return lock;
}

export interface StoreFigures {
  lockfileBytes: number;
  lockfileWrites: number;
  journalBytes: number;
  journalRecords: number;
}

/**
 * The durable state of one apply: the lockfile in memory, every change appended to the journal before the
 * caller goes on, compacted into the lockfile (atomically) often enough that the journal stays short and
 * rarely enough that I/O stays linear in the number of shots (docs/ARCHITECTURE.md "Money rules", rule 8).
 */
export class LockStore {
  readonly lock: Lockfile;
  readonly lockFile: string;
  private readonly journal: Journal;
  private readonly figures: StoreFigures = { lockfileBytes: 0, lockfileWrites: 0, journalBytes: 0, journalRecords: 0 };
  private compactEvery = 256;
  private writeError: Error | undefined;

  constructor(specFile: string, name: string) {
    this.lockFile = lockfilePath(specFile, name);
    const file = journalPath(specFile, name);
    this.lock = readCurrentLock(specFile, name);
    this.journal = new Journal(file);
    this.compact();
  }

  /** Apply a change in memory, then make it durable; resolves once it is on disk. */
  async record(rec: JournalRecord): Promise<void> {
    if (this.writeError) throw this.writeError;
    applyRecord(this.lock, rec);
    this.figures.journalRecords++;
    await this.journal.append(rec);
    // Compacting every max(256, 2 × shots) records keeps total lockfile bytes O(records), never O(n²).
    if (this.journal.records >= this.compactEvery) this.compact();
  }

  /**
   * Record a change whose durability nothing waits on: the prediction id after a submit (a kill before it is
   * on disk only means the next run settles the intent by listing) and status changes (the next run polls
   * again). Keeps fsyncs off the path from one render to the next. A write failure surfaces at the next
   * `record` or at `flush`.
   */
  note(rec: JournalRecord): void {
    this.record(rec).catch((err: unknown) => {
      this.writeError ??= err instanceof Error ? err : new Error(String(err));
    });
  }

  /** Write the lockfile atomically (if its bytes changed) and empty the journal. */
  compact(): void {
    const written = writeLockfile(this.lockFile, this.lock);
    if (written > 0) {
      this.figures.lockfileBytes += written;
      this.figures.lockfileWrites++;
    }
    this.journal.reset();
    this.compactEvery = Math.max(256, 2 * Object.keys(this.lock.shots).length);
  }

  /** Wait for pending records, then compact: the lockfile holds everything recorded so far. */
  async flush(): Promise<void> {
    await this.journal.drain();
    if (this.writeError) throw this.writeError;
    this.compact();
  }

  async close(): Promise<void> {
    try {
      await this.flush();
    } finally {
      this.journal.close();
    }
  }

  stats(): StoreFigures {
    return { ...this.figures, journalBytes: this.journal.bytesWritten };
  }
}
