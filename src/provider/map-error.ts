import { RenderError, type ErrorCode, type RenderErrorOptions } from '../errors.js';
import { sanitizeCause, type Redactor } from '../util/redact.js';
import type { Prediction } from './wire.js';

/** Every error says what to do next (docs/ARCHITECTURE.md "Errors"). */
const HINTS: Readonly<Partial<Record<ErrorCode, string>>> = {
  AUTH: 'check WAVESPEED_API_KEY: it is missing, mistyped or revoked (keys: https://wavespeed.ai/accesskey)',
  FORBIDDEN: "the key's account may not use this model or endpoint; check the account's access at wavespeed.ai",
  INSUFFICIENT_BALANCE: 'top up the WaveSpeed balance, then run apply again: finished shots are kept and not paid twice',
  INVALID_INPUT: 'the server rejected the request; fix the field its message names, then run `render plan` again',
  NOT_FOUND: 'check the model id and WAVESPEED_BASE_URL',
  RATE_LIMITED: "the account's rate limit was hit; lower --concurrency or wait a minute, then run again",
  SERVER: 'WaveSpeed had a server error; wait a little and run again',
  NETWORK: 'check the network connection and WAVESPEED_BASE_URL, then run again',
  TIMEOUT: 'the server did not answer in time; run again, or raise the request timeout',
  BAD_RESPONSE: "the server's answer does not look like the WaveSpeed API; check WAVESPEED_BASE_URL",
  UNKNOWN_OUTCOME: 'the task may have been created and charged; do not resubmit by hand: `render apply` settles it by listing recent predictions',
  MODERATION: 'the prompt or image was flagged by content moderation; change them and run again (failed tasks are refunded within about 3 hours)',
  TASK_FAILED: 'see the task error; failed tasks are refunded within about 3 hours',
  DOWNLOAD_FAILED: 'the output could not be saved; check disk space and permissions, then run apply again to fetch it (outputs are kept 7 days)',
  ABORTED: 'the operation was cancelled before it finished; run the command again to continue',
};

const INSUFFICIENT = /insufficient|balance|credit/i;

export interface ErrorContext {
  /** What we were doing, e.g. `GET /api/v3/balance` or `submit kwaivgi/...`; never holds the key. */
  op: string;
  redact: Redactor;
  /** Overrides for this operation (e.g. NOT_FOUND on a poll: "predictions are kept 7 days"). */
  hints?: Partial<Record<ErrorCode, string>>;
}

/** Build a RenderError with every text field redacted and the cause replaced by a redacted copy. */
export function makeError(code: ErrorCode, message: string, ctx: ErrorContext, opts: RenderErrorOptions = {}): RenderError {
  const hint = opts.hint ?? ctx.hints?.[code] ?? HINTS[code];
  return new RenderError(code, ctx.redact(message), {
    ...opts,
    hint: hint === undefined ? undefined : ctx.redact(hint),
    remoteMessage: opts.remoteMessage === undefined ? undefined : ctx.redact(opts.remoteMessage),
    cause: sanitizeCause(opts.cause, ctx.redact),
  });
}

/** The RenderError code for an HTTP status (or an envelope `code`) and the remote message. */
function codeForStatus(status: number, remoteMessage = ''): ErrorCode {
  // [guess] insufficient balance is undocumented: 400, 402 and 403 are all possible, so read the message.
  if ((status === 400 || status === 403) && INSUFFICIENT.test(remoteMessage)) return 'INSUFFICIENT_BALANCE';
  if (status === 402) return 'INSUFFICIENT_BALANCE';
  if (status === 400 || status === 413 || status === 422) return 'INVALID_INPUT';
  if (status === 401) return 'AUTH';
  if (status === 403) return 'FORBIDDEN';
  if (status === 404 || status === 410) return 'NOT_FOUND';
  if (status === 408) return 'TIMEOUT';
  if (status === 429) return 'RATE_LIMITED';
  if (status >= 500 && status <= 599) return 'SERVER';
  if (status >= 400 && status <= 499) return 'INVALID_INPUT';
  return 'BAD_RESPONSE';
}

export function errorFromStatus(
  status: number,
  remoteMessage: string | undefined,
  ctx: ErrorContext,
  extra: { retryAfterMs?: number; label?: string } = {},
): RenderError {
  const remote = remoteMessage?.trim() ? remoteMessage.trim().slice(0, 500) : undefined;
  const code = codeForStatus(status, remote);
  const hint = status === 413 ? 'the file is too large for the API (images: at most 10 MB); shrink it and run again' : undefined;
  return makeError(code, `${ctx.op}: ${extra.label ?? `HTTP ${status}`}${remote ? `: ${remote}` : ''}`, ctx, {
    status,
    remoteMessage: remote,
    retryAfterMs: extra.retryAfterMs,
    hint,
  });
}

export interface FetchFailureContext extends ErrorContext {
  callerSignal?: AbortSignal;
  timeoutSignal: AbortSignal;
  timeoutMs: number;
}

/** A rejected fetch (or a body read that broke): cancelled by the caller, our own deadline, or the network. */
export function errorFromFetchFailure(err: unknown, ctx: FetchFailureContext): RenderError {
  if (err instanceof RenderError) return err;
  if (ctx.callerSignal?.aborted) return makeError('ABORTED', `${ctx.op}: cancelled`, ctx, { cause: err });
  if (ctx.timeoutSignal.aborted) {
    return makeError('TIMEOUT', `${ctx.op}: no answer within ${ctx.timeoutMs} ms`, ctx, { cause: err });
  }
  const detail = describeNetworkError(err);
  return makeError('NETWORK', `${ctx.op}: network error${detail ? `: ${detail}` : ''}`, ctx, { cause: err });
}

/** `fetch failed` says nothing; the useful part (ECONNREFUSED, "other side closed") is in the cause. */
function describeNetworkError(err: unknown): string {
  const parts: string[] = [];
  let current: unknown = err;
  for (let depth = 0; depth < 3 && current && typeof current === 'object'; depth++) {
    const { message, code, cause } = current as { message?: unknown; code?: unknown; cause?: unknown };
    if (typeof message === 'string' && message) parts.push(message);
    if (typeof code === 'string' && code) parts.push(code);
    current = cause;
  }
  if (typeof err === 'string') parts.push(err);
  return [...new Set(parts)].join(': ').slice(0, 300);
}

/**
 * After a submit POST was sent, anything but a clear answer leaves the outcome unknown: the task may exist and
 * be paid for. Only a definite refusal (a mapped 4xx) passes through unchanged; an unexpected code (408 mapped
 * to TIMEOUT, a 3xx mapped to BAD_RESPONSE, a bug) counts as unknown, because guessing "not paid" is the costly
 * mistake.
 */
export function toSubmitError(err: unknown, ctx: ErrorContext): RenderError {
  const definite: ErrorCode[] = ['AUTH', 'FORBIDDEN', 'INVALID_INPUT', 'NOT_FOUND', 'RATE_LIMITED', 'INSUFFICIENT_BALANCE'];
  if (err instanceof RenderError && definite.includes(err.code)) return err;
  const rendered = err instanceof RenderError ? err : undefined;
  // The cause's own text, without the operation it repeats (`submit m: network error: ...`): said once.
  const text = err instanceof Error ? err.message : String(err);
  const detail = text.startsWith(`${ctx.op}: `) ? text.slice(ctx.op.length + 2) : text;
  return makeError('UNKNOWN_OUTCOME', `${ctx.op}: outcome unknown (${detail})`, ctx, {
    status: rendered?.status,
    remoteMessage: rendered?.remoteMessage,
    cause: err,
  });
}

const REFUNDED = '(failed tasks are refunded within about 3 hours)';

function taskFailureHint(taskCode: number | undefined): string | undefined {
  if (taskCode === undefined) return undefined;
  // The one 1xxx code no spec change fixes: the server could not fetch an uploaded image; a new upload cures it.
  if (taskCode === 1402) return `the server could not fetch an uploaded image (task code 1402); run apply again: it uploads the image afresh ${REFUNDED}`;
  if (taskCode >= 1000 && taskCode < 2000) return `the input was rejected (task code 1xxx); fix it in the spec and run again ${REFUNDED}`;
  if (taskCode >= 5000) return `the server failed this task (task code 5xxx); a new prediction may succeed ${REFUNDED}`;
  return undefined;
}

/** A failed (or otherwise unsuccessful terminal) prediction as an error: MODERATION for task code 1200. */
export function failedPredictionError(p: Prediction, redact: Redactor = (t) => t): RenderError {
  const ctx: ErrorContext = { op: `prediction ${p.id}`, redact };
  const code: ErrorCode = p.taskCode === 1200 ? 'MODERATION' : 'TASK_FAILED';
  const detail = p.error ? `: ${p.error}` : '';
  const taskHint = code === 'TASK_FAILED' ? taskFailureHint(p.taskCode) : undefined;
  return makeError(code, `prediction ${p.id} ${p.status}${p.taskCode === undefined ? '' : ` (task code ${p.taskCode})`}${detail}`, ctx, {
    taskCode: p.taskCode,
    remoteMessage: p.error,
    hint: taskHint,
  });
}

/** Defence in depth at the client boundary: whatever escapes is a RenderError with nothing secret in it. */
export function redactThrown(err: unknown, ctx: ErrorContext): RenderError {
  if (err instanceof RenderError) {
    return makeError(err.code, err.message, ctx, {
      hint: err.hint,
      status: err.status,
      remoteMessage: err.remoteMessage,
      taskCode: err.taskCode,
      retryAfterMs: err.retryAfterMs,
      issues: err.issues.map((i) => ({ ...i, message: ctx.redact(i.message) })),
      cause: err.cause,
    });
  }
  const message = err instanceof Error ? err.message : String(err);
  return makeError('INTERNAL', `${ctx.op}: ${message}`, ctx, { cause: err, hint: 'this is a bug in render; please report it' });
}
