import { z } from 'zod';

/**
 * The lockfile `<name>.lock.json` (docs/SPEC.md "Files the tool writes", docs/ARCHITECTURE.md "State"), version 2:
 * committed to git, the record of every prediction this campaign paid for. Money in integer cents. Paths are
 * relative to the spec's folder so the file means the same in every clone.
 *
 * State is kept per endpoint (`endpoints[<endpoint>]`): what was rendered on the local mock server, or on another
 * WaveSpeed-compatible server, never counts as rendered (or current) on the real API. Each shot keeps every take
 * it ever had, in order (`n` = 1, 2, ...), and which one is current.
 *
 * `lineage` (random, fixed when the lockfile is created) and `serial` (+1 on every write that changes it) tell a
 * lockfile restored from an older commit, or another campaign's, from the one the journal in `.render/` was
 * written against: state never goes backwards silently.
 */

export const LOCK_VERSION = 2;

/**
 * The schemas, built on first use: `plan` without a lockfile never needs them, and building them is a measurable part
 * of a start (docs/ARCHITECTURE.md "Start-up").
 */
function buildLockSchemas() {
  const LockOutputSchema = z.strictObject({
    url: z.string(),
    path: z.string(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    bytes: z.number().int().nonnegative(),
  });

  const LockErrorSchema = z.strictObject({
    code: z.string(),
    task_code: z.number().int().optional(),
    message: z.string(),
  });

  /**
   * - `submitting`: the intent is written, the POST is (maybe) on its way; no prediction id yet.
   * - `unknown`: the POST was given up (5xx, timeout, cut connection): the prediction may exist and be paid.
   *   Settled only by positive evidence, or by `render adopt` / `render forget`.
   * - `submitted`, `processing`, `completed`, `failed`: the prediction's own life.
   * - `forgotten`: the user declared the intent never created (`render forget`): not counted as spent.
   */
  const TAKE_STATUSES = ['submitting', 'unknown', 'submitted', 'processing', 'completed', 'failed', 'forgotten'] as const;
  const TakeStatusSchema = z.enum(TAKE_STATUSES);

  /** One prediction of a shot (or an intent that may have become one). */
  const TakeSchema = z.strictObject({
    /** The take's number within the shot on this endpoint: 1, 2, ... in the order they were submitted. */
    n: z.number().int().min(1),
    fingerprint: z.string(),
    model: z.string(),
    /** The spec's `take` field when it was rendered (part of the fingerprint). */
    take: z.number().int().min(1),
    prediction_id: z.string().optional(),
    status: TakeStatusSchema,
    duration: z.number().int(),
    cost_cents: z.number().int().nonnegative(),
    /** The request by content (local images as `sha256:…`), so a diff can say what changed. */
    request: z.record(z.string(), z.unknown()),
    /** Upload URLs that stood for local images in the body sent (to recognise the prediction when listing). */
    urls: z.record(z.string(), z.string()).optional(),
    submitted_at: z.string(),
    /** When the submit was given up without an answer (status `unknown`): the settlement window ends here. */
    given_up_at: z.string().optional(),
    completed_at: z.string().optional(),
    /** How long the render ran on the server (its `timings.inference`, ms): what polling learns from (docs/ARCHITECTURE.md "Polling"). */
    render_ms: z.number().int().nonnegative().optional(),
    /** Output URLs the server reported, kept until the files are downloaded and verified. */
    remote_outputs: z.array(z.string()).optional(),
    outputs: z.array(LockOutputSchema),
    error: LockErrorSchema.optional(),
    /** How an unknown outcome was resolved: `list` (matched in the server's list), `adopt` or `forget` (the user). */
    settled_by: z.enum(['list', 'adopt', 'forget']).optional(),
  });

  const LockShotSchema = z.strictObject({
    /** The `n` of the take the shot is on now: the newest submitted one, or one restored since. */
    current: z.number().int().min(1).optional(),
    takes: z.array(TakeSchema),
  });

  const LockUploadSchema = z.strictObject({
    url: z.string(),
    uploaded_at: z.string(),
    bytes: z.number().int().nonnegative(),
  });

  const EndpointStateSchema = z.strictObject({
    shots: z.record(z.string(), LockShotSchema),
    /** Uploaded images by sha256: reused until they expire (uploads live 7 days on the server). */
    uploads: z.record(z.string(), LockUploadSchema),
  });

  /** A file found where an output goes that was not byte for byte any take's output: moved aside, never deleted. */
  const KeptFileSchema = z.strictObject({
    from: z.string(),
    path: z.string(),
    sha256: z.string(),
    bytes: z.number().int().nonnegative(),
    at: z.string(),
    reason: z.string(),
  });

  const LockfileSchema = z.strictObject({
    version: z.literal(LOCK_VERSION),
    name: z.string(),
    /** The spec file this lockfile belongs to, relative to its folder (a renamed `name:` is noticed by it). */
    spec: z.string(),
    lineage: z.string().min(8),
    serial: z.number().int().nonnegative(),
    endpoints: z.record(z.string(), EndpointStateSchema),
    kept: z.array(KeptFileSchema),
  });

  return { LockOutputSchema, TakeStatusSchema, TakeSchema, LockShotSchema, EndpointStateSchema, KeptFileSchema, LockfileSchema };
}

type LockSchemas = ReturnType<typeof buildLockSchemas>;
let lockSchemas: LockSchemas | undefined;
export const getLockSchemas = (): LockSchemas => (lockSchemas ??= buildLockSchemas());

export type Lockfile = z.infer<LockSchemas['LockfileSchema']>;
export type EndpointState = z.infer<LockSchemas['EndpointStateSchema']>;
export type LockShot = z.infer<LockSchemas['LockShotSchema']>;
export type LockTake = z.infer<LockSchemas['TakeSchema']>;
export type LockOutput = z.infer<LockSchemas['LockOutputSchema']>;
export type TakeStatus = z.infer<LockSchemas['TakeStatusSchema']>;
export type KeptFile = z.infer<LockSchemas['KeptFileSchema']>;

export function emptyLockfile(name: string, spec: string, lineage: string): Lockfile {
  return { version: LOCK_VERSION, name, spec, lineage, serial: 0, endpoints: {}, kept: [] };
}

export function emptyEndpointState(): EndpointState {
  return { shots: {}, uploads: {} };
}
