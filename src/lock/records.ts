import type { KeptFile, LockOutput, LockTake } from './schema.js';

/**
 * The write-ahead journal's records (`.render/<name>.journal.ndjson`, docs/ARCHITECTURE.md "State"). Each is
 * appended and fsynced before the step it records is trusted: an intent before a submit POST, the prediction id
 * the moment it is known. Replaying them over the lockfile (reducer.ts) gives the same state whatever moment a
 * run was killed at. Takes are named by endpoint, shot and take number `n`.
 */

interface TakeRef {
  at: string;
  endpoint: string;
  shot: string;
  n: number;
}

export type JournalRecord =
  /** The first line of a journal: the lockfile (lineage and serial) its records apply on top of. */
  | { t: 'base'; at: string; lineage: string; serial: number }
  /** About to POST a submit: the take as it will be recorded, without a prediction id yet. */
  | { t: 'intent'; at: string; endpoint: string; shot: string; take: Omit<LockTake, 'prediction_id' | 'status' | 'outputs'> }
  /** The prediction id of an intent is known: from the submit's answer, the server's list, or `render adopt`. */
  | (TakeRef & { t: 'submitted'; prediction_id: string; by?: 'list' | 'adopt' })
  /** The submit was given up without an answer (5xx, timeout, cut connection): the prediction may exist. */
  | (TakeRef & { t: 'unknown'; message: string })
  /** The server refused the submit (a 4xx): no prediction exists, nothing was charged; the intent is dropped. */
  | (TakeRef & { t: 'refused'; code: string; message: string })
  /** The user declared an unknown intent never created (`render forget`). */
  | (TakeRef & { t: 'forgotten' })
  /** A prediction's status changed; on completion `outputs` are the server's URLs. */
  | (TakeRef & {
      t: 'status';
      status: 'processing' | 'completed' | 'failed';
      outputs?: string[];
      /** The server's `timings.inference` of a completed render, in ms. */
      render_ms?: number;
      error?: { code: string; task_code?: number; message: string };
    })
  /** Outputs downloaded, verified and in place. */
  | (TakeRef & { t: 'output'; outputs: LockOutput[] })
  /** The server deleted a completed take's output before it was downloaded (404): rendering it again is a choice. */
  | (TakeRef & { t: 'gone'; message: string })
  /** A take's file moved (aside to `.takes/`, or back to the output name when restored). */
  | (TakeRef & { t: 'moved'; from: string; to: string })
  /** This take becomes the shot's current one on its endpoint (a restore). */
  | (TakeRef & { t: 'current' })
  /** A file at an output name that no take owned (or that was edited) moved aside, never deleted. */
  | ({ t: 'kept' } & KeptFile)
  /** A local image uploaded: reused by content until it expires. */
  | { t: 'upload'; at: string; endpoint: string; sha256: string; url: string; bytes: number }
  /** The server could not fetch this upload URL: never sent again. Written by earlier versions; a `status` record
   * failing with task code 1402 now forgets the take's upload URLs itself. */
  | { t: 'unfetchable'; at: string; endpoint: string; url: string };

export const RECORD_KINDS: ReadonlySet<string> = new Set<JournalRecord['t']>([
  'base',
  'intent',
  'submitted',
  'unknown',
  'refused',
  'forgotten',
  'status',
  'output',
  'gone',
  'moved',
  'current',
  'kept',
  'upload',
  'unfetchable',
]);
