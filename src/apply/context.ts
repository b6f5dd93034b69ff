import type { LimitFunction } from 'p-limit';
import type { LockStore } from '../lock/store.js';
import type { PollPolicy, WaveSpeedClient } from '../provider/index.js';
import type { Sleep } from '../util/sleep.js';
import type { BudgetGuard } from './budget.js';
import type { Emit } from './events.js';
import type { RenderModel } from './render-model.js';
import type { SubmitPacer } from './submit-pacer.js';
import type { Uploader } from './uploads.js';

/** What every step of an apply shares: the injected client and clock, the durable store, the guards. */
export interface RunContext {
  client: WaveSpeedClient;
  store: LockStore;
  uploader: Uploader;
  budget: BudgetGuard;
  emit: Emit;
  endpoint: string;
  model: string;
  specDir: string;
  /** The spec's output folder, and where this endpoint's outputs go in it (`.mock/` for the mock server). */
  outputDir: string;
  placeDir: string;
  poll: Partial<PollPolicy>;
  /** Render times learned from this run's completions and the lockfile's history: when to poll. */
  renderTimes: RenderModel;
  /** The account's submit rate, shared by every shot (docs/ARCHITECTURE.md "Pacing submits"). */
  pacer: SubmitPacer;
  /** How long after a submit was given up the server's list is first asked for it (lists may lag). */
  settleAfterMs: number;
  /** The client's per-request deadline: a killed run's submit was given up this long after its intent at most. */
  requestTimeoutMs: number;
  now: () => number;
  sleep: Sleep;
  /** Set once no new submit may start (first Ctrl-C, no balance, bad key). */
  stop: { reason?: string };
  /**
   * While a lost submit of a model is being settled, no new submit of that model starts: each listing window then
   * holds one open intent, so a listed prediction can be told apart (docs/ARCHITECTURE.md "Money rules").
   */
  holds: Map<string, Promise<void>>;
  /** Submit POSTs of this run waiting for their answer; `idle()` resolves when there are none. */
  submitting: InFlight;
  /** Aborts polls and downloads too (a library caller's hard stop). */
  signal?: AbortSignal;
  /** The limiter for downloads; the in-flight limiter lives in run.ts. */
  downloads: LimitFunction;
  /** Lost submits are settled one listing at a time, so no prediction is adopted twice. */
  settling: LimitFunction;
}

export const iso = (ms: number): string => new Date(ms).toISOString();

/** A count of requests in flight, and a way to wait until there are none. */
export class InFlight {
  count = 0;
  private waiters: (() => void)[] = [];

  done(): void {
    this.count = Math.max(0, this.count - 1);
    if (this.count === 0) for (const wake of this.waiters.splice(0)) wake();
  }

  idle(): Promise<void> {
    return this.count === 0 ? Promise.resolve() : new Promise((resolve) => this.waiters.push(resolve));
  }
}
