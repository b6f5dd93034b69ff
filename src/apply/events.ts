/**
 * What an apply reports as it goes: plain data, rendered by a Reporter (progress bars on a terminal, one line
 * per event otherwise, NDJSON with --json). Apply never prints.
 */
export type ApplyEvent =
  | {
      type: 'start';
      shots: number;
      toSubmit: number;
      toResume: number;
      toRestore: number;
      toFetch: number;
      costCents: number;
      concurrency: number;
      endpoint: string;
    }
  | { type: 'upload'; path: string; sha256: string; url: string }
  | { type: 'submitted'; id: string; predictionId: string; costCents: number }
  | { type: 'status'; id: string; predictionId: string; status: string }
  /** A submit was given up without an answer: counted as spent; looked for in the server's list. */
  | { type: 'unknown'; id: string; take: number; costCents: number; message: string }
  /** An unknown outcome settled by positive evidence: the prediction exists and is followed. */
  | { type: 'settled'; id: string; take: number; predictionId: string; message: string }
  /** An earlier take became current again: its file moved back, or downloaded again, for $0. */
  | { type: 'restored'; id: string; take: number; path: string }
  /** A paid take that was never downloaded (the spec moved on, or its shot left the spec) was downloaded into `.takes/`, $0. */
  | { type: 'fetched'; id: string; take: number; path: string }
  /** A file at an output name that no take owned (or that was edited) was moved aside, not overwritten. */
  | { type: 'kept'; from: string; path: string; reason: string }
  /** `path` is absolute; reporters show it relative to the working directory. */
  | { type: 'downloaded'; id: string; path: string; bytes: number; sha256: string }
  | { type: 'done'; id: string }
  /** `refundedCents`: a task that failed after it was charged (the server refunds it). */
  | { type: 'failed'; id: string; code: string; message: string; hint?: string; refundedCents?: number }
  | { type: 'skipped'; id: string; reason: string }
  | { type: 'summary'; summary: ApplySummary };

export interface ApplySummary {
  done: number;
  /** Paid takes no shot is on that were downloaded into `.takes/` (the `fetch` of the plan, and any found in the run). */
  fetched: number;
  failed: { id: string; code: string; message: string }[];
  skipped: { id: string; reason: string }[];
  /** Submits whose outcome is still unknown: counted as spent until `render adopt` or `render forget`. */
  unknown: { id: string; take: number; costCents: number }[];
  /** Files moved aside instead of being overwritten (relative to the spec). */
  kept: { from: string; path: string }[];
  /** Spent in this run: charges made in it minus refunds seen in it (what the lockfile's total moved by). */
  spentCents: number;
  /** Charges made in this run (accepted submits, and submits whose outcome is unknown). */
  chargedCents: number;
  /** Refunds seen in this run (tasks that failed, of this run or an earlier one). */
  refundedCents: number;
  /** Everything the lockfile says the campaign spent (on real endpoints, or on the mock server), after the run. */
  totalSpentCents: number;
  elapsedMs: number;
  interrupted: boolean;
  /** Durable-state I/O of the run: lockfile and journal bytes written (for the benchmark). */
  io?: { lockfileBytes: number; lockfileWrites: number; journalBytes: number; journalRecords: number };
}

export type Emit = (event: ApplyEvent) => void;
