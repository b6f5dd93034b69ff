import { RenderError, type ErrorCode } from '../errors.js';
import type { Sleep } from '../util/sleep.js';

/**
 * Retries live in our own code, not in the undici dispatcher, so that nock tests exercise them (docs/ARCHITECTURE.md
 * "HTTP") and so that the one call that must never be retried, the submit POST, simply never enters this loop.
 */
export interface RetryPolicy {
  /** Total attempts, the first included (1 = no retry). */
  maxAttempts: number;
  baseDelayMs: number;
  /** Caps both the backoff and a server's Retry-After. */
  maxDelayMs: number;
  /** 0..1: 1 is "full jitter" (uniform in [0, backoff]); 0 is plain exponential backoff. */
  jitter: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 4, baseDelayMs: 500, maxDelayMs: 30_000, jitter: 1 };

export type { Sleep } from '../util/sleep.js';

/** Failures that another identical request may cure. Everything else (4xx, bad shapes) is final. */
const RETRYABLE_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['NETWORK', 'TIMEOUT', 'SERVER', 'RATE_LIMITED']);

export function isRetryable(err: unknown): err is RenderError {
  return err instanceof RenderError && RETRYABLE_CODES.has(err.code);
}

/** Exponential backoff with jitter for the wait after failed attempt number `attempt` (1-based). */
export function backoffDelayMs(policy: RetryPolicy, attempt: number, random: () => number): number {
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  const jitter = Math.min(1, Math.max(0, policy.jitter));
  return Math.round(exp * (1 - jitter + jitter * random()));
}

/**
 * Retry-After as delta-seconds (`120`) or an HTTP date (`Wed, 21 Oct 2015 07:28:00 GMT`), in ms from `now`.
 * Undefined when absent or unreadable; a date in the past is 0.
 */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

export interface RetryContext {
  policy: RetryPolicy;
  sleep: Sleep;
  random: () => number;
  signal?: AbortSignal;
  /** Told before each wait; for logging by the caller, never with secrets in it. */
  onRetry?: (info: { attempt: number; delayMs: number; error: RenderError }) => void;
}

export function abortedError(op: string, reason: unknown): RenderError {
  return new RenderError('ABORTED', `${op}: cancelled`, {
    hint: 'the operation was cancelled before it finished; run the command again to continue',
    cause: reason instanceof Error ? new Error(reason.message) : undefined,
  });
}

/** The delay before the next attempt: the server's Retry-After when it gave one (capped), else our backoff. */
function retryDelayMs(err: RenderError, attempt: number, ctx: RetryContext): number {
  if (err.retryAfterMs !== undefined) return Math.min(err.retryAfterMs, ctx.policy.maxDelayMs);
  return backoffDelayMs(ctx.policy, attempt, ctx.random);
}

/** Run `fn` until it succeeds, fails for good, or the attempts run out; the last error is thrown as is. */
export async function withRetry<T>(op: string, fn: (attempt: number) => Promise<T>, ctx: RetryContext): Promise<T> {
  const maxAttempts = Math.max(1, Math.floor(ctx.policy.maxAttempts));
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (!isRetryable(err) || attempt >= maxAttempts || ctx.signal?.aborted) throw err;
      const delayMs = retryDelayMs(err, attempt, ctx);
      ctx.onRetry?.({ attempt, delayMs, error: err });
      try {
        await ctx.sleep(delayMs, ctx.signal);
      } catch (sleepErr) {
        throw abortedError(op, ctx.signal?.reason ?? sleepErr);
      }
    }
  }
}
