import { randomBytes } from 'node:crypto';
import { createRng } from './prng.js';
import type { MockClock, MockTimer, RenderTime } from './types.js';

/**
 * In-memory predictions and their lifecycle: created → processing → completed | failed, driven by the clock's
 * timers (a test's manual clock steps them without sleeping). A task runs `completeAfterMs`, or with `renderTime`
 * a time that follows its duration, counted from when it gets a slot.
 * O(1) per poll (a Map), O(log n + range) per list (creation order is kept sorted), and a FIFO queue for tasks
 * over the concurrency limit, as the real API queues tasks over an account tier's limit.
 */

type PredictionStatus = 'created' | 'processing' | 'completed' | 'failed';

export interface Prediction {
  id: string;
  model: string;
  input: Record<string, unknown>;
  status: PredictionStatus;
  createdAtMs: number;
  startedAtMs: number | null;
  finishedAtMs: number | null;
  costCents: number;
  durationSeconds: number;
  /** From start to end, decided at submit (`renderTime`); null = `completeAfterMs`. */
  runMs: number | null;
  /** Decided at submit by the fault injector; null = will complete. */
  plannedFailCode: number | null;
  mediaUrls: string[];
  /** `"1402: media URL not fetchable ..."`, or "" when none (docs/ARCHITECTURE.md "API facts we rely on"). */
  error: string;
  errorCode: number | null;
  waiters: (() => void)[];
}

/** Task error codes inside a failed prediction (docs/ARCHITECTURE.md "API facts we rely on"). */
export const TASK_ERROR_MESSAGES: Readonly<Record<number, string>> = {
  1200: 'content moderation: the input or output was flagged',
  1400: 'missing parameter',
  1401: 'invalid parameter',
  1402: 'media URL not fetchable',
  1403: 'execution failed',
  1405: 'execution failed',
  5000: 'internal server error',
  5003: 'service unavailable',
  5004: 'task timed out',
};

export interface LifecycleOptions {
  processingAfterMs: number;
  completeAfterMs: number;
  /** null = every task runs `completeAfterMs`. */
  renderTime: Required<RenderTime> | null;
  /** Seeds the render-time jitter (its own stream: faults and traffic do not shift it). */
  seed: number;
  refundAfterMs: number;
  maxConcurrentTasks: number;
  /** Whether a media URL the task needs can be fetched (own URLs are checked; others are assumed fine). */
  mediaExists: (url: string) => boolean;
  /** A failed task's charge comes back (`refundAfterMs` after it failed). */
  refund: (p: Prediction) => void;
  log: (line: string) => void;
  clock: MockClock;
}

export interface ListQuery {
  page: number;
  pageSize: number;
  model?: string;
  status?: string;
  afterMs?: number;
  beforeMs?: number;
  /** Only predictions created at or before this time are visible yet (the list's lag). */
  visibleUntilMs?: number;
}

export interface NewPrediction {
  model: string;
  input: Record<string, unknown>;
  costCents: number;
  durationSeconds: number;
  mediaUrls: string[];
  plannedFailCode: number | null;
}

export class PredictionStore {
  readonly counts = { completed: 0, failed: 0, inFlight: 0, running: 0, queued: 0 };
  peakRunning = 0;
  refundsPendingCents = 0;
  private readonly byId = new Map<string, Prediction>();
  private readonly ordered: Prediction[] = [];
  private readonly queue: Prediction[] = [];
  private queueHead = 0;
  private readonly timers = new Set<MockTimer>();
  private disposed = false;
  private readonly renderRng: () => number;

  constructor(private readonly options: LifecycleOptions) {
    this.renderRng = createRng(options.seed ^ 0x2545f491);
  }

  create(init: NewPrediction): Prediction {
    const last = this.ordered[this.ordered.length - 1];
    const p: Prediction = {
      ...init,
      id: randomBytes(16).toString('hex'),
      runMs: this.planRunMs(init.durationSeconds),
      status: 'created',
      // Never before the previous one, so `ordered` stays sorted for the list's binary search.
      createdAtMs: Math.max(this.options.clock.now(), last?.createdAtMs ?? 0),
      startedAtMs: null,
      finishedAtMs: null,
      error: '',
      errorCode: null,
      waiters: [],
    };
    this.byId.set(p.id, p);
    this.ordered.push(p);
    this.counts.inFlight++;
    if (this.counts.running < this.options.maxConcurrentTasks) this.start(p);
    else {
      this.queue.push(p);
      this.counts.queued++;
    }
    return p;
  }

  get(id: string): Prediction | undefined {
    return this.byId.get(id);
  }

  /** Resolves when `p` is completed or failed (for `enable_sync_mode`). */
  whenSettled(p: Prediction): Promise<void> {
    if (p.status === 'completed' || p.status === 'failed') return Promise.resolve();
    return new Promise((resolve) => p.waiters.push(resolve));
  }

  /** Newest first; `afterMs`/`beforeMs` are inclusive bounds found by binary search. */
  list(q: ListQuery): { total: number; items: Prediction[] } {
    const lo = q.afterMs === undefined ? 0 : this.firstIndexAtOrAfter(q.afterMs);
    const until = Math.min(q.beforeMs ?? Infinity, q.visibleUntilMs ?? Infinity);
    const hi = until === Infinity ? this.ordered.length : this.firstIndexAtOrAfter(until + 1);
    const skip = (q.page - 1) * q.pageSize;
    const items: Prediction[] = [];
    let total = 0;
    for (let i = hi - 1; i >= lo; i--) {
      const p = this.ordered[i];
      if (!p || (q.model !== undefined && p.model !== q.model) || (q.status !== undefined && p.status !== q.status)) continue;
      if (total >= skip && items.length < q.pageSize) items.push(p);
      total++;
    }
    return { total, items };
  }

  /** Stops every timer: nothing keeps the process alive or fires after close(). */
  dispose(): void {
    this.disposed = true;
    for (const t of this.timers) this.options.clock.clearTimeout(t);
    this.timers.clear();
  }

  private firstIndexAtOrAfter(ms: number): number {
    let lo = 0;
    let hi = this.ordered.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.ordered[mid]?.createdAtMs ?? Infinity) < ms) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** base + perSecond × duration, times a uniform draw in [1 − jitter, 1 + jitter]: one draw per created task. */
  private planRunMs(durationSeconds: number): number | null {
    const t = this.options.renderTime;
    if (t === null) return null;
    const spread = 1 + t.jitter * (2 * this.renderRng() - 1);
    return Math.round((t.baseMs + t.perSecondMs * durationSeconds) * spread);
  }

  private schedule(ms: number, fn: () => void): void {
    if (this.disposed) return;
    const timer = this.options.clock.setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
  }

  private start(p: Prediction): void {
    this.counts.running++;
    this.peakRunning = Math.max(this.peakRunning, this.counts.running);
    p.startedAtMs = this.options.clock.now();
    const completeAfterMs = p.runMs ?? this.options.completeAfterMs;
    const processingAfterMs = Math.min(this.options.processingAfterMs, completeAfterMs);
    this.schedule(processingAfterMs, () => {
      const missing = p.mediaUrls.find((url) => !this.options.mediaExists(url));
      if (missing !== undefined) return this.settle(p, 1402, `${missing} returned 404`);
      p.status = 'processing';
      this.schedule(Math.max(0, completeAfterMs - processingAfterMs), () => this.settle(p, p.plannedFailCode));
    });
  }

  private settle(p: Prediction, failCode: number | null, detail?: string): void {
    p.finishedAtMs = this.options.clock.now();
    this.counts.running--;
    this.counts.inFlight--;
    if (failCode === null) {
      p.status = 'completed';
      this.counts.completed++;
    } else {
      p.status = 'failed';
      p.errorCode = failCode;
      const text = TASK_ERROR_MESSAGES[failCode] ?? 'task failed';
      p.error = `${failCode}: ${text}${detail ? ` (${detail})` : ''}`;
      this.counts.failed++;
      this.options.log(`task ${p.id} failed: ${p.error}`);
      this.refundsPendingCents += p.costCents;
      const refund = () => {
        this.refundsPendingCents -= p.costCents;
        this.options.refund(p);
      };
      if (this.options.refundAfterMs > 0) this.schedule(this.options.refundAfterMs, refund);
      else refund();
    }
    for (const wake of p.waiters.splice(0)) wake();
    this.startNextQueued();
  }

  private startNextQueued(): void {
    const next = this.queue[this.queueHead];
    if (next === undefined || this.counts.running >= this.options.maxConcurrentTasks) return;
    this.queue[this.queueHead++] = undefined as unknown as Prediction;
    this.counts.queued--;
    // Drop the consumed head now and then, so the queue costs O(1) amortised and does not grow without bound.
    if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
      this.queue.splice(0, this.queueHead);
      this.queueHead = 0;
    }
    this.start(next);
  }
}
