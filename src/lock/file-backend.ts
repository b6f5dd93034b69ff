import { writeFileAtomic } from '../util/atomic-file.js';
import type { StateBackend, StoreFigures } from './backend.js';
import { journalPath, lastLockPath, loadCurrentLock, type CurrentLock } from './current.js';
import { lockfilePath, writeLockfile } from './file.js';
import { Journal } from './journal.js';
import type { JournalRecord } from './records.js';
import type { Lockfile } from './schema.js';
import { WalAppender } from './wal.js';

/**
 * The embedded default (docs/ARCHITECTURE.md "State"): records appended to the journal in `.render/` (group commit,
 * fdatasync), compacted into the lockfile beside the spec, which is the record of what was paid. Between two
 * compactions, the records of what was paid are appended in place to the lockfile's wal (lock/wal.ts).
 */
export class FileBackend implements StateBackend {
  readonly loaded: CurrentLock;
  readonly snapshotsMoney = true;
  private readonly journal: Journal;
  private readonly wal: WalAppender;
  private readonly lockFile: string;
  private diskText: string | undefined;
  /** The text last copied to `.render/<name>.last.lock.json` by this run. */
  private copied: string | undefined;
  private lockfileBytes = 0;
  private lockfileWrites = 0;
  private journalRecords = 0;

  constructor(
    private readonly specFile: string,
    private readonly name: string,
  ) {
    this.lockFile = lockfilePath(specFile, name);
    this.loaded = loadCurrentLock(specFile, name);
    this.diskText = this.loaded.diskText;
    this.journal = new Journal(journalPath(specFile, name));
    this.wal = new WalAppender(this.lockFile);
    if (this.diskText !== undefined) this.wal.adopt(this.diskText);
  }

  get snapshotBytes(): number {
    return this.diskText?.length ?? 0;
  }

  get pending(): number {
    return this.journal.records;
  }

  append(rec: JournalRecord): Promise<void> {
    this.journalRecords++;
    return this.journal.append(rec);
  }

  pushPaid(rec: JournalRecord): void {
    this.wal.push(rec);
  }

  /**
   * The journal at its path is not the one open (`.render/` deleted while the run goes on): it is opened anew, and
   * the caller's snapshot then writes the lockfile, its copy and the journal's base again.
   */
  reopen(): boolean {
    if (this.journal.inPlace()) return false;
    this.journal.reopen();
    this.copied = undefined;
    this.wal.dirty = true;
    return true;
  }

  /** The lockfile on disk is not the one written last (replaced while the run goes on): the next snapshot writes it whole. */
  replaced(): boolean {
    if (!this.wal.replaced()) return false;
    this.wal.dirty = true;
    return true;
  }

  /** Append the queued records to the lockfile's wal; false when the file on disk is not the one written last. */
  flushPaid(): boolean {
    if (this.wal.flush()) return true;
    this.wal.dirty = true; // the next snapshot writes it whole, changed or not
    return false;
  }

  /**
   * Write the lockfile atomically (if its state changed, or it carries a wal to fold), copy it to `.render/`, and
   * start the journal anew on top of it; later appends go to the file just written. The copy and the journal hold
   * every record the lockfile does, so a lockfile damaged later (its wal included) has a way back that loses
   * nothing paid (docs/ARCHITECTURE.md "State").
   */
  snapshot(lock: Lockfile): void {
    // The copy goes first: a kill between the two writes leaves a copy newer than the lockfile, never older, and the
    // journal replays over either (its records are idempotent). A state left unchanged is copied too when the copy
    // differs (a run killed between the writes; the first snapshot of a run).
    const { text, bytes } = writeLockfile(this.lockFile, lock, this.wal.dirty ? undefined : this.diskText, (next) => this.copyLast(next));
    this.diskText = text;
    this.copyLast(text);
    if (bytes > 0) {
      this.lockfileBytes += bytes;
      this.lockfileWrites++;
      this.wal.track(text);
    }
    this.wal.clear();
    this.journal.reset({ t: 'base', at: new Date().toISOString(), lineage: lock.lineage, serial: lock.serial });
  }

  drain(): Promise<void> {
    return this.journal.drain();
  }

  /** Leave a copy of the lockfile in `.render/` (the way back if an older one is restored), then close. */
  async close(ok: boolean): Promise<void> {
    try {
      if (ok && this.diskText !== undefined) this.copyLast(this.diskText);
    } finally {
      this.wal.close();
      this.journal.close();
    }
  }

  /**
   * The copy is the way back, not the record: a `.render/` deleted during its write (the rename finds no folder)
   * leaves it to the next snapshot, which the store takes at once when it reopens the journal. A damaged-lockfile
   * hint names a copy only when the journal starts at or before its serial (lock/file.ts `wayBack`).
   */
  private copyLast(text: string): void {
    if (text === this.copied) return;
    try {
      writeFileAtomic(lastLockPath(this.specFile, this.name), text);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return;
      throw err;
    }
    this.copied = text;
    this.lockfileBytes += Buffer.byteLength(text);
  }

  stats(): StoreFigures {
    return {
      lockfileBytes: this.lockfileBytes + this.wal.bytesWritten,
      lockfileWrites: this.lockfileWrites,
      journalBytes: this.journal.bytesWritten,
      journalRecords: this.journalRecords,
    };
  }
}
