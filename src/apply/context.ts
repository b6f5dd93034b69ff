import type { LimitFunction } from 'p-limit';
import type { PollPolicy, WaveSpeedClient } from '../provider/index.js';
import type { BudgetGuard } from './budget.js';
import type { Emit } from './events.js';
import type { LockStore } from '../lock/store.js';
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
  outputDir: string;
  poll: Partial<PollPolicy>;
  /** How long after a submit request was given up "not in the list" is trusted to mean "never created". */
  settleAfterMs: number;
  /** The client's per-request deadline. */
  requestTimeoutMs: number;
  now: () => number;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Set once no new submit may start (first Ctrl-C, no balance, bad key). */
  stop: { reason?: string };
  /** Aborts polls and downloads too (a library caller's hard stop). */
  signal?: AbortSignal;
  /** The limiter for downloads; the in-flight limiter lives in run.ts. */
  downloads: LimitFunction;
  /** Lost submits are settled one at a time (list, then record the adopted id), so no id is adopted twice. */
  settling: LimitFunction;
  /** Cents accepted by the server in this run. */
  paid: { cents: number };
}

export const iso = (ms: number): string => new Date(ms).toISOString();
