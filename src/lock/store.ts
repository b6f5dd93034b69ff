import path from 'node:path';
import { RenderError } from '../errors.js';
import { displayPath } from '../util/paths.js';
import type { StateBackend, StoreFigures } from './backend.js';
import { FileBackend } from './file-backend.js';
import { lockfilePath } from './file.js';
import type { JournalRecord } from './records.js';
import { applyRecord } from './reducer.js';
import type { Lockfile } from './schema.js';

export { journalPath, loadCurrentLock, readCurrentLock, stateDir } from './current.js';

/** Records after which the committed lockfile must know about them soon: they are money. */
const GROUP_COMMIT_KINDS: ReadonlySet<JournalRecord['t']> = new Set(['intent', 'submitted', 'unknown', 'refused', 'forgotten', 'current', 'kept']);

/**
 * Of those, the records that say a prediction was or may have been paid for: lost with `.render/` they would let the
 * next apply pay for it again, so they reach the committed lockfile within `groupCommitMs` whatever its size, by an
 * append to its wal (lock/wal.ts; docs/ARCHITECTURE.md "Known gaps": the exposure stays half a second).
 */
const PAID_KINDS: ReadonlySet<JournalRecord['t']> = new Set(['intent', 'submitted', 'unknown']);

/**
 * How long a money record waits for the full lockfile write (the compaction) that folds it in (undefined: it forces
 * none): `minMs` up to 256 KB of lockfile, then 2 ms per KB, so a run writes the whole lockfile at most 0.5 MB a
 * second whatever its size (rule 8). A paid record is in the committed lockfile long before, by its wal.
 */
export function groupCommitWindowMs(kind: JournalRecord['t'], lockfileBytes: number, minMs: number): number | undefined {
  if (!GROUP_COMMIT_KINDS.has(kind)) return undefined;
  return Math.max(minMs, Math.round(lockfileBytes / 512));
}

export interface LockStoreOptions {
  /** Applied to every string a record carries before it is kept in memory or written (the API key never lands). */
  redact?: (text: string) => string;
  /**
   * Longest wait between a paid record (intent, prediction id, unknown) and the lockfile write that holds it (group
   * commit; default 500 ms): with the files, an append to the lockfile's wal. Every money record waits as long for
   * the full write that folds it up to 256 KB of lockfile, then 2 ms per KB of it (`groupCommitWindowMs`). The
   * journal holds every record at once.
   */
  groupCommitMs?: number;
  /** Where the records go (default: the journal and lockfile beside the spec). */
  backend?: StateBackend;
  /**
   * The process lock's check (lock/process-lock.ts `hold`): run before every intent and on the watch; once it has
   * thrown, no intent is recorded again (nothing more is spent), while the records of what was spent go on.
   */
  hold?: () => void;
}

/** How often the store looks at its files: the lockfile replaced, `.render/` deleted (at most the group-commit window). */
const WATCH_MS = 100;

/**
 * The durable state of one apply (docs/ARCHITECTURE.md "State"): the lockfile in memory, every change made durable
 * by the backend before the caller goes on; for the files, a record of what was paid (an intent, a prediction id)
 * appended to the lockfile's wal within `groupCommitMs`, so the committed lockfile, not `.render/`, is the record;
 * and snapshots taken within the size-scaled window of any money record, and otherwise every max(256, 2 × shots)
 * records, so I/O stays linear in the number of shots (rule 8). The same records and the same reducer whatever the
 * backend ("Team state").
 */
export class LockStore {
  readonly lock: Lockfile;
  readonly lockFile: string;
  private readonly backend: StateBackend;
  private compactEvery = 256;
  private writeError: Error | undefined;
  private readonly compaction = new Deadline(() => this.compact());
  private watch: NodeJS.Timeout | undefined;
  private readonly paidFlush = new Deadline(() => {
    if (this.backend.flushPaid?.() === false) this.compact();
  });
  private readonly redact: (text: string) => string;
  private readonly redacting: boolean;
  private readonly groupCommitMs: number;
  private readonly guard: (() => void) | undefined;
  /** Why no intent may be recorded any more (the process lock was taken by another apply). */
  private lockLost: Error | undefined;

  constructor(specFile: string, name: string, options: LockStoreOptions = {}) {
    this.lockFile = lockfilePath(specFile, name);
    this.backend = options.backend ?? new FileBackend(specFile, name);
    this.lock = this.backend.loaded.lock;
    this.redact = options.redact ?? ((t) => t);
    this.redacting = options.redact !== undefined;
    this.groupCommitMs = options.groupCommitMs ?? 500;
    this.guard = options.hold;
    this.compact();
    // A lockfile replaced while the run goes on (a `git checkout` of it) lacks what this run recorded: it is written
    // again within the group-commit window, not only at the next paid record (docs/ARCHITECTURE.md "Rule 8"). A
    // `.render/` deleted takes the journal and the process lock with it: both are made again at once ("State").
    if (this.backend.replaced || this.guard) {
      this.watch = setInterval(
        () => {
          try {
            this.hold();
          } catch (err) {
            if (err !== this.lockLost) this.writeError ??= err instanceof Error ? err : new Error(String(err));
          }
          if (this.backend.replaced?.()) this.within(this.compaction, 0);
        },
        Math.min(WATCH_MS, this.groupCommitMs),
      );
      this.watch.unref();
    }
  }

  /**
   * Before anything is spent: throws when the process lock is no longer this run's (another apply took it after
   * `.render/` was deleted); a journal deleted under the run is opened anew on top of a fresh snapshot.
   */
  hold(): void {
    if (this.lockLost) throw this.lockLost;
    try {
      this.guard?.();
    } catch (err) {
      this.lockLost = err instanceof Error ? err : new Error(String(err));
      throw this.lockLost;
    }
    try {
      if (this.backend.reopen?.()) this.compact();
    } catch (err) {
      if (err instanceof RenderError) throw err;
      const folder = displayPath(path.join(path.dirname(this.lockFile), '.render'));
      throw new RenderError('FILE_UNREADABLE', `cannot keep this run's journal in ${folder}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, {
        hint: `${folder} beside the spec holds the journal of a running apply: leave it in place while one runs; what was paid so far is in the lockfile`,
        cause: err,
      });
    }
  }

  /** Apply a change in memory, then make it durable; resolves once it is. */
  async record(rec: JournalRecord): Promise<void> {
    if (this.writeError) throw this.writeError;
    if (rec.t === 'intent') this.hold();
    const clean = this.redacting ? redactRecord(rec, this.redact) : rec;
    applyRecord(this.lock, clean);
    await this.backend.append(clean);
    const windowMs = this.backend.snapshotsMoney ? groupCommitWindowMs(clean.t, this.backend.snapshotBytes ?? 0, this.groupCommitMs) : undefined;
    if (windowMs !== undefined) {
      // The compaction first: when both fall due together, the full write holds the record and the append is moot.
      this.within(this.compaction, windowMs);
      if (PAID_KINDS.has(clean.t) && this.backend.pushPaid) {
        this.backend.pushPaid(clean);
        this.within(this.paidFlush, this.groupCommitMs);
      }
    }
    if (this.backend.pending >= this.compactEvery) this.compact();
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

  /** Run a write within `windowMs`; a failure surfaces at the next `record` or at `flush`. */
  private within(deadline: Deadline, windowMs: number): void {
    deadline.within(windowMs, (err) => {
      this.writeError ??= err instanceof Error ? err : new Error(String(err));
    });
  }

  /** Take a snapshot (the lockfile, if its state changed) and start the records anew on top of it. */
  compact(): void {
    this.backend.snapshot(this.lock);
    // Everything recorded so far is in the snapshot: a write still due for it would be a rewrite of the same state.
    this.compaction.cancel();
    let shots = 0;
    for (const state of Object.values(this.lock.endpoints)) shots += Object.keys(state.shots).length;
    this.compactEvery = Math.max(256, 2 * shots);
  }

  /** Wait for pending records, then compact: the lockfile holds everything recorded so far. */
  async flush(): Promise<void> {
    await this.backend.drain();
    if (this.writeError) throw this.writeError;
    this.compact();
    await this.backend.drain();
  }

  /** Flush, let the backend leave what it leaves at the end (the files: a copy of the lockfile in `.render/`), close. */
  async close(): Promise<void> {
    clearInterval(this.watch);
    this.compaction.cancel();
    this.paidFlush.cancel();
    let ok = false;
    try {
      await this.flush();
      ok = true;
    } finally {
      await this.backend.close(ok);
    }
  }

  stats(): StoreFigures {
    return this.backend.stats();
  }
}

/** A write run once, at the earliest of the times asked for: one already due sooner stands; one due later is brought forward. */
class Deadline {
  private timer: NodeJS.Timeout | undefined;
  private at = 0;

  constructor(private readonly run: () => void) {}

  within(windowMs: number, failed: (err: unknown) => void): void {
    const at = performance.now() + windowMs;
    if (this.timer && this.at <= at) return;
    clearTimeout(this.timer);
    this.at = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      try {
        this.run();
      } catch (err) {
        failed(err);
      }
    }, windowMs);
  }

  cancel(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
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
