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
  /** Where the records go (default: the journal and lockfile beside the spec). */
  backend?: StateBackend;
}

/**
 * The durable state of one apply (docs/ARCHITECTURE.md "State"): the lockfile in memory, every change made durable
 * by the backend before the caller goes on, and snapshots taken: for the files, within `groupCommitMs` of any money
 * record (an intent, a prediction id), so the committed lockfile, not `.render/`, is the record; and otherwise
 * every max(256, 2 × shots) records, so I/O stays linear in the number of shots (rule 8). The same records and the
 * same reducer whatever the backend ("Team state").
 */
export class LockStore {
  readonly lock: Lockfile;
  readonly lockFile: string;
  private readonly backend: StateBackend;
  private compactEvery = 256;
  private writeError: Error | undefined;
  private commitTimer: NodeJS.Timeout | undefined;
  private commitAt = 0;
  private readonly redact: (text: string) => string;
  private readonly redacting: boolean;
  private readonly groupCommitMs: number;

  constructor(specFile: string, name: string, options: LockStoreOptions = {}) {
    this.lockFile = lockfilePath(specFile, name);
    this.backend = options.backend ?? new FileBackend(specFile, name);
    this.lock = this.backend.loaded.lock;
    this.redact = options.redact ?? ((t) => t);
    this.redacting = options.redact !== undefined;
    this.groupCommitMs = options.groupCommitMs ?? 500;
    this.compact();
  }

  /** Apply a change in memory, then make it durable; resolves once it is. */
  async record(rec: JournalRecord): Promise<void> {
    if (this.writeError) throw this.writeError;
    const clean = this.redacting ? redactRecord(rec, this.redact) : rec;
    applyRecord(this.lock, clean);
    await this.backend.append(clean);
    const windowMs = this.backend.snapshotsMoney ? groupCommitWindowMs(clean.t, this.backend.snapshotBytes ?? 0, this.groupCommitMs) : undefined;
    if (windowMs !== undefined) this.commitSoon(windowMs);
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

  /** Take a snapshot (the lockfile, if its state changed) and start the records anew on top of it. */
  compact(): void {
    this.backend.snapshot(this.lock);
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
    clearTimeout(this.commitTimer);
    this.commitTimer = undefined;
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
