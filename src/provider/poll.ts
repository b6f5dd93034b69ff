import { isRenderError, type RenderError } from '../errors.js';
import { makeError, type ErrorContext } from './map-error.js';
import { abortedError, isRetryable, type Sleep } from './retry.js';
import { isTerminal, type Prediction } from './wire.js';

export interface PollPolicy {
  /** Wait before the first poll, and the floor of every wait. */
  initialMs: number;
  /** Each wait is the previous one times this. */
  factor: number;
  /** Ceiling of every wait. */
  maxMs: number;
  /** 0..1: each wait after the first is spread by ±jitter of itself (then kept within [initialMs, maxMs]). */
  jitter: number;
  /** Give up (TIMEOUT) after this long overall; no limit when absent. */
  timeoutMs?: number;
  /** Polls that fail in a row (after getResult's own retries) before the error is thrown. Default 3. */
  maxPollErrors?: number;
}

/**
 * Poll a video task no more often than every 5 s, with a growing interval (docs/ARCHITECTURE.md "API facts we rely
 * on").
 */
export const DEFAULT_POLL_POLICY: PollPolicy = { initialMs: 5_000, factor: 1.5, maxMs: 30_000, jitter: 0.1 };

/** The wait before poll number `index` (0-based). */
export function pollDelayMs(policy: PollPolicy, index: number, random: () => number): number {
  const base = Math.min(policy.maxMs, policy.initialMs * Math.max(1, policy.factor) ** index);
  // The first wait is exact: predictions are submitted one by one, so first polls are already spread out,
  // and a wait longer than asked only delays seeing a finished render. Later polls are jittered.
  if (index === 0) return Math.round(base);
  const jitter = Math.min(1, Math.max(0, policy.jitter));
  const spread = base * (1 + jitter * (2 * random() - 1));
  return Math.round(Math.min(policy.maxMs, Math.max(policy.initialMs, spread)));
}

/**
 * When to poll, decided by the caller (apply learns render times: docs/ARCHITECTURE.md "Polling"). Without one,
 * the fixed growing schedule of `policy` applies.
 */
export interface PollSchedule {
  /** The time (ms, the injected clock) of the next poll; asked before every poll, and again after `changed`. */
  nextPollAt(now: number): number;
  /**
   * Each answer, with the time it arrived and the time its poll was sent: the server's state was as answered at
   * some time between (a schedule may keep its floor between polls sent: a slow answer then does not push the next
   * poll later).
   */
  observe(p: Prediction, at: number, sentAt: number): void;
  /** A poll that got no answer (an error ridden out, a 404 not yet believed): the next one is planned from it. */
  missed(at: number): void;
  /** Resolves when `nextPollAt` may now say an earlier time; undefined when it will not. */
  changed(): Promise<void> | undefined;
}

export interface WaitOptions {
  policy?: Partial<PollPolicy>;
  /** Replaces the policy's waits (the policy's timeout and error tolerance still apply). */
  schedule?: PollSchedule;
  signal?: AbortSignal;
  onPoll?: (p: Prediction) => void;
  /** Poll once at once before the first wait (resuming a task that may be long finished). */
  immediate?: boolean;
}

export interface WaitDeps {
  getResult: (id: string, opts: { signal?: AbortSignal }) => Promise<Prediction>;
  sleep: Sleep;
  random: () => number;
  now: () => number;
  ctx: ErrorContext;
}

function timeoutError(id: string, ms: number, last: Prediction | undefined, ctx: ErrorContext): RenderError {
  return makeError('TIMEOUT', `prediction ${id} not finished after ${Math.round(ms / 1000)} s (last status: ${last?.status ?? 'unknown'})`, ctx, {
    hint: 'the task is still running and is paid for: wait for it again later by its id; do not submit it again',
  });
}

/**
 * Poll until the prediction reaches a terminal status and return it, whatever that status is: a failed task is
 * data here (see failedPredictionError). Throws TIMEOUT (task still running), ABORTED, or a final client error.
 */
export async function waitForPrediction(id: string, opts: WaitOptions, deps: WaitDeps): Promise<Prediction> {
  const policy: PollPolicy = { ...DEFAULT_POLL_POLICY, ...opts.policy };
  const started = deps.now();
  const deadline = policy.timeoutMs === undefined ? Infinity : started + policy.timeoutMs;
  let last: Prediction | undefined;
  let failures = 0;
  for (let index = opts.immediate ? -1 : 0; ; index++) {
    if (index >= 0) {
      const remaining = deadline - deps.now();
      if (remaining <= 0) throw timeoutError(id, deps.now() - started, last, deps.ctx);
      if (opts.schedule) await waitForTurn(opts.schedule, deadline, opts.signal, deps);
      else await sleepOrAbort(Math.min(pollDelayMs(policy, index, deps.random), remaining), opts.signal, deps);
    }
    if (opts.signal?.aborted) throw abortedError(deps.ctx.op, opts.signal.reason);
    const sentAt = deps.now();
    try {
      last = await deps.getResult(id, { signal: opts.signal });
      failures = 0;
    } catch (err) {
      // getResult already retried; a longer outage is ridden out here, a final answer (401) is not. Nor is a 404
      // taken at its word at once: a lagging or faulty server answers it for predictions that exist, and "gone"
      // costs the user a new render. Only a 404 that lasts over the schedule is final.
      if ((!isRetryable(err) && !isRenderError(err, 'NOT_FOUND')) || ++failures >= (policy.maxPollErrors ?? 3)) throw err;
      opts.schedule?.missed(deps.now());
      continue;
    }
    opts.schedule?.observe(last, deps.now(), sentAt);
    opts.onPoll?.(last);
    if (isTerminal(last.status)) return last;
  }
}

function sleepOrAbort(ms: number, signal: AbortSignal | undefined, deps: WaitDeps): Promise<void> {
  return deps.sleep(ms, signal).catch((err: unknown) => Promise.reject(abortedError(deps.ctx.op, signal?.reason ?? err)));
}

/** Sleep until the schedule's next poll (or the deadline); planned again whenever the schedule learns something. */
async function waitForTurn(schedule: PollSchedule, deadline: number, signal: AbortSignal | undefined, deps: WaitDeps): Promise<void> {
  for (;;) {
    const now = deps.now();
    const wait = Math.min(schedule.nextPollAt(now), deadline) - now;
    if (wait <= 0) return;
    const news = schedule.changed();
    if (!news) return sleepOrAbort(wait, signal, deps);
    const early = new AbortController();
    let woken = false;
    void news.then(() => {
      woken = true;
      early.abort();
    });
    try {
      await deps.sleep(wait, signal ? AbortSignal.any([signal, early.signal]) : early.signal);
      return;
    } catch (err) {
      if (!woken || signal?.aborted) throw abortedError(deps.ctx.op, signal?.reason ?? err);
    }
  }
}
