import { RenderError } from '../errors.js';
import { createRng, pickWith } from './prng.js';
import { FAULT_ROUTES, type FaultKind, type FaultOptions, type FaultRoute } from './types.js';

/** FaultOptions with defaults filled in and values checked once, so the hot path does no validation. */
export interface Faults {
  latencyMs: [number, number];
  errorRate: number;
  errorStatuses: [number, ...number[]];
  rateLimitRate: number;
  retryAfterSeconds: number;
  dropRate: number;
  lostSubmitRate: number;
  taskFailRate: number;
  taskFailCodes: [number, ...number[]];
  slowRate: number;
  slowMs: number;
  routes: ReadonlySet<FaultRoute>;
}

/**
 * What to do to one request: wait `latencyMs` before handling it (the request is still in transit), then `action`
 * (`none` = handle it normally), then wait `slowMs` before answering (handled, but answered late).
 */
export interface RequestFaults {
  latencyMs: number;
  slowMs: number;
  action: 'none' | 'drop' | 'error' | 'rateLimit' | 'lostSubmit';
  status: number;
}

export const NO_FAULTS: RequestFaults = { latencyMs: 0, slowMs: 0, action: 'none', status: 0 };

function usage(message: string): RenderError {
  return new RenderError('USAGE', `mock faults: ${message}`, { hint: 'See `render mock --help` for the fault flags.' });
}

function checkRate(name: string, value: number | undefined): number {
  if (value === undefined) return 0;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 1) {
    throw usage(`${name} must be a number from 0 to 1, got ${JSON.stringify(value)}`);
  }
  return value;
}

function checkMs(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw usage(`${name} must be a number of milliseconds ≥ 0, got ${JSON.stringify(value)}`);
  }
  return value;
}

function checkCodes(name: string, value: number[] | undefined, fallback: number[], min: number, max: number): [number, ...number[]] {
  const codes = value ?? fallback;
  if (!Array.isArray(codes) || codes.length === 0 || !codes.every((c) => Number.isInteger(c) && c >= min && c <= max)) {
    throw usage(`${name} must be a non-empty list of integers from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return codes as [number, ...number[]];
}

function checkLatency(value: FaultOptions['latencyMs']): [number, number] {
  if (value === undefined) return [0, 0];
  if (Array.isArray(value)) {
    const [min, max] = value;
    if (value.length !== 2 || checkMs('latencyMs[0]', min) > checkMs('latencyMs[1]', max)) {
      throw usage(`latencyMs range must be [min, max] with min ≤ max, got ${JSON.stringify(value)}`);
    }
    return [min, max];
  }
  const ms = checkMs('latencyMs', value);
  return [ms, ms];
}

function checkRoutes(value: FaultRoute[] | undefined): ReadonlySet<FaultRoute> {
  if (value === undefined) return new Set(FAULT_ROUTES);
  const bad = Array.isArray(value) ? value.filter((r) => !FAULT_ROUTES.includes(r)) : [value];
  if (bad.length > 0) throw usage(`unknown route(s) ${JSON.stringify(bad)}; routes are ${FAULT_ROUTES.join(', ')}`);
  return new Set(value);
}

/** Validates FaultOptions (also when they arrive as JSON on POST /__mock/faults); throws RenderError USAGE. */
export function normalizeFaults(f: FaultOptions = {}): Faults {
  if (typeof f !== 'object' || f === null || Array.isArray(f)) throw usage('faults must be an object');
  const retry = f.retryAfterSeconds ?? 1;
  if (!Number.isInteger(retry) || retry < 0) throw usage(`retryAfterSeconds must be an integer ≥ 0, got ${JSON.stringify(retry)}`);
  return {
    latencyMs: checkLatency(f.latencyMs),
    errorRate: checkRate('errorRate', f.errorRate),
    errorStatuses: checkCodes('errorStatuses', f.errorStatuses, [500, 502, 503], 400, 599),
    rateLimitRate: checkRate('rateLimitRate', f.rateLimitRate),
    retryAfterSeconds: retry,
    dropRate: checkRate('dropRate', f.dropRate),
    lostSubmitRate: checkRate('lostSubmitRate', f.lostSubmitRate),
    taskFailRate: checkRate('taskFailRate', f.taskFailRate),
    taskFailCodes: checkCodes('taskFailCodes', f.taskFailCodes, [5000], 1000, 9999),
    slowRate: checkRate('slowRate', f.slowRate),
    slowMs: checkMs('slowMs', f.slowMs ?? 2000),
    routes: checkRoutes(f.routes),
  };
}

/**
 * Decides faults from two seeded streams: one for requests, one for tasks, so a task-failure schedule does not
 * shift when request traffic changes. Every decision draws a fixed number of values, so one kind's rate never
 * changes which requests another kind hits.
 */
export class FaultInjector {
  readonly counts: Record<FaultKind, number> = { latency: 0, slow: 0, drop: 0, error: 0, rateLimit: 0, lostSubmit: 0, taskFail: 0 };
  private faults: Faults;
  private readonly requestRng: () => number;
  private readonly taskRng: () => number;

  constructor(seed: number, faults: FaultOptions = {}) {
    this.faults = normalizeFaults(faults);
    this.requestRng = createRng(seed);
    this.taskRng = createRng(seed ^ 0x5bd1e995);
  }

  get current(): Faults {
    return this.faults;
  }

  set(faults: FaultOptions): void {
    this.faults = normalizeFaults(faults);
  }

  /** Faults for one request on `route`; routes outside `faults.routes` draw nothing and get none. */
  planRequest(route: FaultRoute): RequestFaults {
    const f = this.faults;
    if (!f.routes.has(route)) return NO_FAULTS;
    const rng = this.requestRng;
    const [min, max] = f.latencyMs;
    const latencyMs = Math.round(min + (max - min) * rng());
    if (latencyMs > 0) this.counts.latency++;
    const slowDraw = rng() < f.slowRate;
    const drop = rng() < f.dropRate;
    const rateLimit = rng() < f.rateLimitRate;
    const error = rng() < f.errorRate;
    const status = pickWith(rng, f.errorStatuses);
    const lost = rng() < f.lostSubmitRate && route === 'submit';
    const action = drop ? 'drop' : rateLimit ? 'rateLimit' : error ? 'error' : lost ? 'lostSubmit' : 'none';
    // A lost submit is counted by the submit handler, and only if the body was valid and the task was created.
    if (action !== 'none' && action !== 'lostSubmit') this.counts[action]++;
    // A destroyed socket has no late answer to give.
    const slow = slowDraw && action !== 'drop' && action !== 'lostSubmit';
    if (slow) this.counts.slow++;
    return { latencyMs, slowMs: slow ? f.slowMs : 0, action, status: action === 'rateLimit' ? 429 : status };
  }

  /** The task error code a new task will fail with, or null when it will complete. */
  planTask(): number | null {
    const fail = this.taskRng() < this.faults.taskFailRate;
    const code = pickWith(this.taskRng, this.faults.taskFailCodes);
    if (!fail) return null;
    this.counts.taskFail++;
    return code;
  }
}
