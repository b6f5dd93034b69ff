/**
 * What an apply reports as it goes: plain data, rendered by a Reporter (progress bars on a terminal, one line
 * per event otherwise, NDJSON with --json). Apply never prints.
 */
export type ApplyEvent =
  | { type: 'start'; shots: number; toSubmit: number; toResume: number; costCents: number; concurrency: number; endpoint: string }
  | { type: 'upload'; path: string; sha256: string; url: string }
  | { type: 'submitted'; id: string; predictionId: string; costCents: number }
  | { type: 'status'; id: string; predictionId: string; status: string }
  | { type: 'unknown'; id: string; message: string }
  | { type: 'settled'; id: string; predictionId?: string; outcome: 'found' | 'none' | 'unknowable'; message: string }
  /** `path` is absolute; reporters show it relative to the working directory. */
  | { type: 'downloaded'; id: string; path: string; bytes: number; sha256: string }
  | { type: 'done'; id: string }
  | { type: 'failed'; id: string; code: string; message: string; hint?: string }
  | { type: 'skipped'; id: string; reason: string }
  | { type: 'summary'; summary: ApplySummary };

export interface ApplySummary {
  done: number;
  failed: { id: string; code: string; message: string }[];
  skipped: { id: string; reason: string }[];
  /** Paid in this run (accepted submits). */
  spentCents: number;
  /** Everything the lockfile says was spent on this endpoint, after the run. */
  totalSpentCents: number;
  elapsedMs: number;
  interrupted: boolean;
  /** Durable-state I/O of the run: lockfile and journal bytes written (for the benchmark). */
  io?: { lockfileBytes: number; lockfileWrites: number; journalBytes: number; journalRecords: number };
}

export type Emit = (event: ApplyEvent) => void;
