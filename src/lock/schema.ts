import { z } from 'zod';

/**
 * The lockfile `<name>.lock.json` (docs/SPEC.md "Files the tool writes"): committed to git, one entry per shot.
 * Money in integer cents. Paths are relative to the spec's folder so the file means the same in every clone.
 */

export const LOCK_VERSION = 1;

const LockOutputSchema = z.object({
  url: z.string(),
  path: z.string(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  bytes: z.number().int().nonnegative(),
});

const LockErrorSchema = z.object({
  code: z.string(),
  task_code: z.number().int().optional(),
  message: z.string(),
});

const TakeStatusSchema = z.enum(['submitting', 'submitted', 'processing', 'completed', 'failed', 'unknown']);

/** One prediction of a shot: the current one, or an earlier take kept in `history`. */
const TakeSchema = z.object({
  fingerprint: z.string(),
  endpoint: z.string(),
  model: z.string(),
  take: z.number().int().min(1),
  prediction_id: z.string().optional(),
  status: TakeStatusSchema,
  duration: z.number().int(),
  cost_cents: z.number().int().nonnegative(),
  /** The request as sent, local images by content (`sha256:…`), so a diff can say what changed. */
  request: z.record(z.string(), z.unknown()),
  /** Upload URLs that stood for local images in the body sent (to recognise the prediction when listing). */
  urls: z.record(z.string(), z.string()).optional(),
  submitted_at: z.string().optional(),
  completed_at: z.string().optional(),
  /** Output URLs the server reported, kept until the files are downloaded and verified. */
  remote_outputs: z.array(z.string()).optional(),
  outputs: z.array(LockOutputSchema).default([]),
  error: LockErrorSchema.optional(),
});

export const LockShotSchema = TakeSchema.extend({
  history: z.array(TakeSchema).default([]),
});

const LockUploadSchema = z.object({
  url: z.string(),
  endpoint: z.string(),
  uploaded_at: z.string(),
  bytes: z.number().int().nonnegative(),
});

export const LockfileSchema = z.object({
  version: z.literal(LOCK_VERSION),
  name: z.string(),
  shots: z.record(z.string(), LockShotSchema).default({}),
  /** Uploaded images by sha256: reused until they expire (uploads live 7 days on the server). */
  uploads: z.record(z.string(), LockUploadSchema).default({}),
});

export type Lockfile = z.infer<typeof LockfileSchema>;
export type LockShot = z.infer<typeof LockShotSchema>;
export type LockTake = z.infer<typeof TakeSchema>;
export type LockOutput = z.infer<typeof LockOutputSchema>;

export function emptyLockfile(name: string): Lockfile {
  return { version: LOCK_VERSION, name, shots: {}, uploads: {} };
}
