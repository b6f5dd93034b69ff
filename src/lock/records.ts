import type { LockOutput, LockTake } from './schema.js';

/**
 * The write-ahead journal's records (`.render/<name>.journal.ndjson`). Each is appended and fsynced before
 * the step it records is trusted: an intent before a submit POST, the prediction id the moment it is known.
 * Replaying them over the lockfile (reducer.ts) gives the same state whatever moment a run was killed at
 * (docs/ARCHITECTURE.md "State: lockfile and journal").
 */
export type JournalRecord =
  /** About to POST a submit: the take as it will be recorded, without a prediction id yet. */
  | { t: 'intent'; at: string; shot: string; take: Omit<LockTake, 'prediction_id' | 'status' | 'outputs'> }
  /** The server answered the submit with a prediction id: the charge is real from here on. */
  | { t: 'submitted'; at: string; shot: string; fingerprint: string; prediction_id: string }
  /** The submit's outcome is unknown (5xx, timeout, dropped connection): settle by listing before paying again. */
  | { t: 'unknown'; at: string; shot: string; fingerprint: string; message: string }
  /** The server refused the submit (a 4xx): no prediction exists, nothing was charged. */
  | { t: 'refused'; at: string; shot: string; fingerprint: string; code: string; message: string }
  /** A prediction's status changed; on completion `outputs` are the server's URLs. */
  | {
      t: 'status';
      at: string;
      shot: string;
      prediction_id: string;
      status: 'processing' | 'completed' | 'failed';
      outputs?: string[];
      error?: { code: string; task_code?: number; message: string };
    }
  /** Outputs downloaded, verified and in place. */
  | { t: 'output'; at: string; shot: string; prediction_id: string; outputs: LockOutput[] }
  /** The server deleted a completed take's output before it was downloaded (404): rendering it again is a choice. */
  | { t: 'gone'; at: string; shot: string; prediction_id: string; message: string }
  /** An earlier take's file moved aside (`.takes/`) so the new take can take its name. */
  | { t: 'moved'; at: string; shot: string; prediction_id: string; from: string; to: string }
  /** A local image uploaded: reused by content until it expires. */
  | { t: 'upload'; at: string; sha256: string; url: string; endpoint: string; bytes: number }
  /** The server could not fetch this upload URL (task code 1402): it is never sent again; the image is uploaded afresh. */
  | { t: 'unfetchable'; at: string; url: string };
