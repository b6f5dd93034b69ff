/**
 * Public types of the WaveSpeed-compatible local server (docs/ARCHITECTURE.md "Layers", `mock/`). It stands in for
 * api.wavespeed.ai in the demo, the tests, the benchmarks and the chaos test, so every fault a real network or API
 * can produce is injectable, deterministically (seeded PRNG).
 */

/** Route families that faults can target. `download` is the file host (outputs and uploaded media). */
export type FaultRoute = 'submit' | 'result' | 'list' | 'upload' | 'download' | 'balance' | 'price' | 'billing';

export const FAULT_ROUTES: readonly FaultRoute[] = ['submit', 'result', 'list', 'upload', 'download', 'balance', 'price', 'billing'];

/** The kinds counted in `MockStats.faults`. */
export type FaultKind = 'latency' | 'slow' | 'drop' | 'error' | 'rateLimit' | 'lostSubmit' | 'taskFail';

export interface FaultOptions {
  /** Added to every faultable request: a fixed delay, or uniform in [min, max]. */
  latencyMs?: number | [number, number];
  /** Probability of answering with one of `errorStatuses` instead of handling the request. */
  errorRate?: number;
  /** Statuses for `errorRate`, picked uniformly; default [500, 502, 503]. */
  errorStatuses?: number[];
  /** Probability of a 429. */
  rateLimitRate?: number;
  /** Retry-After on injected 429s, in whole seconds; default 1; 0 sends no header (the real API may not). */
  retryAfterSeconds?: number;
  /** Probability of destroying the socket without any response (the request is not handled). */
  dropRate?: number;
  /** Submit only: create the prediction and charge for it, then destroy the socket before answering. */
  lostSubmitRate?: number;
  /** Probability that a created task ends `failed` (and is refunded) instead of `completed`. Not route-scoped. */
  taskFailRate?: number;
  /** Task error codes for `taskFailRate`, picked uniformly; default [5000]. */
  taskFailCodes?: number[];
  /** Probability of an extra `slowMs` delay (a slow response, e.g. to trip a client's deadline). */
  slowRate?: number;
  /** Default 2000. */
  slowMs?: number;
  /** Which routes request-level faults apply to; default all. */
  routes?: FaultRoute[];
}

/**
 * Time as the server sees it: prediction lifecycles, `created_at`, the list's 7-day window, delayed refunds and
 * injected latencies all read it. The real clock by default; a test passes a manual one and steps a prediction
 * from created to completed without sleeping through the window (docs/ARCHITECTURE.md, mock/).
 */
export interface MockClock {
  /** Milliseconds since the epoch, like Date.now(). */
  now(): number;
  /** Calls `fn` once, `ms` from now. The server never lets its own timers keep the process alive. */
  setTimeout(fn: () => void, ms: number): MockTimer;
  clearTimeout(timer: MockTimer): void;
}

/** A clock's handle for one pending timer; opaque to the server. */
export type MockTimer = unknown;

export interface MockServerOptions {
  /** 0 = any free port (default). */
  port?: number;
  /** Default 127.0.0.1: never all interfaces unless asked. */
  host?: string;
  /** The bearer key every /api/v3 route requires; default 'mock-key'. */
  apiKey?: string;
  /** Starting balance in USD; default 10000. Kept as integer cents inside. */
  balanceUsd?: number;
  /** A task becomes `processing` this long after it gets a slot (immediately at submit unless queued). Default 50. */
  processingAfterMs?: number;
  /** ...and terminal this long after it gets a slot (clamped to ≥ processingAfterMs). Default 300. */
  completeAfterMs?: number;
  /** Tasks over this many running ones queue (stay `created`), like an account tier. Default unlimited. */
  maxConcurrentTasks?: number;
  /** Failed tasks are refunded this long after they fail (the real API: within ~3 h). Default 0 = at once. */
  refundAfterMs?: number;
  /** Seed of the fault PRNG; same seed and same request order → same faults. Default 1. */
  seed?: number;
  faults?: FaultOptions;
  /** The file every completed prediction's output serves; default fixtures/mock-output.mp4. */
  outputFile?: string;
  /** An ffmpeg binary: each output is then an animatic of its own request's images and duration (mock/animatic.ts). */
  ffmpeg?: string;
  /** Largest accepted upload in bytes (413 above); default 64 MiB. */
  maxUploadBytes?: number;
  /** One line per request and per injected fault. Never receives the API key. */
  log?: (line: string) => void;
  /** Default: the real clock (Date.now and unref'd timers). */
  clock?: MockClock;
  /**
   * Show the submitted body on list and result items. Default false ("docs mode"): the docs' examples show no
   * `input`, so a client must not count on it (docs/ARCHITECTURE.md "The local server").
   */
  listInputs?: boolean;
  /** The key the shown body goes under; the official CLI types both. Default 'input'. Needs `listInputs`. */
  inputKey?: 'input' | 'inputs';
  /**
   * Where inputs are shown, `image`/`end_image` appear as this server's own stored copy (`/files/stored/...`, a
   * different URL per prediction), as a server that re-hosts its inputs would show them. Needs `listInputs`.
   */
  storeMediaUrls?: boolean;
  /** A prediction appears in the list only this long after its creation (eventually consistent). Default 0. */
  listLagMs?: number;
  /**
   * The server's clock runs this far ahead (positive) or behind (negative) of `clock`: `created_at`, the `Date`
   * header of every response, list filters and the 7-day window, billing times. Default 0.
   */
  clockSkewMs?: number;
  /** The server's real price = the local table × this, rounded half-up to the cent; charged and quoted. Default 1. */
  priceFactor?: number;
  /** `discounted_price` = price × this (0 < f ≤ 1), in quotes only: charges stay at `price`. Default 1. */
  discountFactor?: number;
  /**
   * A task runs base + perSecond × duration from start to end, spread uniformly by ±jitter (a fraction < 1; seeded,
   * one draw per accepted submit in submit order). Replaces `completeAfterMs`; `processing` still comes at
   * `processingAfterMs` (or at the end, if sooner). Default: absent (processingAfterMs/completeAfterMs).
   */
  renderTime?: RenderTime;
  /**
   * Accepted submits allowed in any sliding 60 s window, per account (the key); more are answered 429 with
   * Retry-After, not created, not charged. Default unlimited.
   */
  submitsPerMinute?: number;
}

export interface RenderTime {
  baseMs: number;
  perSecondMs: number;
  /** Default 0. */
  jitter?: number;
}

export interface MockStats {
  /** Accepted (charged) submits, lost ones included. */
  submissions: number;
  distinctBodies: number;
  /**
   * Accepted submits whose model + canonical body (keys sorted; this server's upload URLs by the bytes they hold)
   * had already been submitted and whose earlier prediction had not failed: paying twice. A failed task is refunded,
   * so resubmitting its body is not counted.
   */
  duplicateSubmissions: number;
  chargesCents: number;
  refundsCents: number;
  balanceCents: number;
  /** Completed uploads (multipart, or the PUT of the two-step flow). */
  uploads: number;
  /** Handled requests by kind; requests answered by an injected fault are counted in `faults` only. */
  polls: number;
  lists: number;
  downloads: number;
  /** Injected faults by kind (FaultKind). */
  faults: Record<string, number>;
  /** Unknown body keys seen on submits, sorted (the real server ignores them and still bills). */
  ignoredKeys: string[];
  /** Submits answered 429 by the `submitsPerMinute` limit (not created, not charged); injected 429s are in `faults`. */
  rateLimited: number;
  /** Failed tasks' charges not yet refunded (`refundAfterMs`). */
  refundsPendingCents: number;
  /** Billing items written (one charge per accepted submit, one refund per refunded task) and searches served. */
  billing: { charges: number; refunds: number; searches: number };
  /** `running` tasks hold a slot, `queued` ones wait for one (`created`); `inFlight` = running + queued. */
  predictions: { completed: number; failed: number; inFlight: number; running: number; queued: number };
  /** The most tasks running at once so far. */
  peakRunning: number;
  /** Animatics made by ffmpeg (with the `ffmpeg` option); a request whose animatic was made already reuses it. */
  animatics: number;
}

export interface MockServer {
  /** e.g. http://127.0.0.1:41234 (no trailing slash): the base URL for clients. */
  url: string;
  port: number;
  apiKey: string;
  stats(): MockStats;
  /** Replaces the request and task faults from now on (validated; throws RenderError USAGE). */
  setFaults(f: FaultOptions): void;
  close(): Promise<void>;
}
