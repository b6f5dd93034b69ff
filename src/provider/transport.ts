import type { LimitFunction } from 'p-limit';
import type { ErrorCode } from '../errors.js';
import { httpFetch } from './http.js';
import { errorFromFetchFailure, errorFromStatus, makeError, type ErrorContext } from './map-error.js';
import type { Redactor } from '../util/redact.js';
import { abortedError, parseRetryAfter, withRetry, type RetryPolicy, type Sleep } from './retry.js';
import type { ServerClock } from './server-clock.js';
import { EnvelopeSchema } from './wire.js';

type BodyInit = NonNullable<RequestInit['body']>;

/** What every request needs, fixed when the client is created. */
export interface Transport {
  baseUrl: string;
  apiKey?: string;
  clientName: string;
  clientVersion: string;
  requestTimeoutMs: number;
  retry: RetryPolicy;
  sleep: Sleep;
  random: () => number;
  now: () => number;
  redact: Redactor;
  /** Fed from every answer's Date header. */
  clock: ServerClock;
  /**
   * API requests in flight at once (fewer than the Agent's connections): one waiting for a connection inside the
   * dispatcher would spend its deadline queued, and a submit given up so has an unknown outcome (docs/ARCHITECTURE.md
   * "HTTP").
   */
  gate: LimitFunction;
}

export interface RequestSpec {
  /** Names the call in errors, e.g. `GET /api/v3/balance`. */
  op: string;
  method: 'GET' | 'POST';
  url: string;
  /** A JSON body, or a factory for another body (a FormData must be rebuilt for each attempt). */
  json?: unknown;
  body?: () => BodyInit | Promise<BodyInit>;
  signal?: AbortSignal;
  timeoutMs?: number;
  hints?: Partial<Record<ErrorCode, string>>;
}

/** Send the API key only to the API's own origin: output URLs on a CDN (or anywhere else) never get it. */
function headersFor(t: Transport, url: string): Record<string, string> {
  const headers: Record<string, string> = {
    'X-Client-Name': t.clientName,
    'X-Client-Version': t.clientVersion,
    Accept: 'application/json',
  };
  if (t.apiKey && sameOrigin(url, t.baseUrl)) headers.Authorization = `Bearer ${t.apiKey}`;
  return headers;
}

function sameOrigin(a: string, b: string): boolean {
  try {
    return new URL(a).origin === new URL(b).origin;
  } catch {
    return false;
  }
}

export function contextFor(t: Transport, spec: Pick<RequestSpec, 'op' | 'hints'>): ErrorContext {
  return { op: spec.op, redact: t.redact, hints: spec.hints };
}

/** Read an error body for its message: the envelope's `message`, else a short piece of the text. */
async function remoteMessageOf(res: Response): Promise<string | undefined> {
  const text = await res.text().catch(() => '');
  try {
    const parsed = JSON.parse(text) as { message?: unknown; error?: unknown; detail?: unknown };
    for (const candidate of [parsed.message, parsed.error, parsed.detail]) {
      if (typeof candidate === 'string' && candidate.trim()) return candidate;
    }
  } catch {
    // not JSON (a proxy's HTML page, say): fall through to the text itself
  }
  return text.trim() ? text.trim().slice(0, 200) : undefined;
}

/**
 * One attempt: fetch with a deadline (AbortSignal.timeout joined with the caller's signal), turn a non-2xx answer
 * into a mapped RenderError, and run `consume` on a 2xx under the same deadline. Never retries.
 */
export function attempt<T>(t: Transport, spec: RequestSpec, consume: (res: Response) => Promise<T>): Promise<T> {
  return t.gate(() => attemptNow(t, spec, consume));
}

async function attemptNow<T>(t: Transport, spec: RequestSpec, consume: (res: Response) => Promise<T>): Promise<T> {
  const ctx = contextFor(t, spec);
  if (spec.signal?.aborted) throw abortedError(spec.op, spec.signal.reason);
  const timeoutMs = spec.timeoutMs ?? t.requestTimeoutMs;
  const timeoutSignal = AbortSignal.timeout(timeoutMs);
  const signal = spec.signal ? AbortSignal.any([timeoutSignal, spec.signal]) : timeoutSignal;
  try {
    const headers = headersFor(t, spec.url);
    let body: BodyInit | undefined;
    if (spec.json !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(spec.json);
    } else if (spec.body) body = await spec.body();
    const sentAt = t.now();
    const res = await httpFetch(spec.url, { method: spec.method, headers, body, signal, redirect: 'follow' });
    if (sameOrigin(spec.url, t.baseUrl)) t.clock.observe(res.headers.get('date'), sentAt, t.now());
    if (!res.ok) {
      const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'), t.now());
      throw errorFromStatus(res.status, await remoteMessageOf(res), ctx, { retryAfterMs });
    }
    return await consume(res);
  } catch (err) {
    throw errorFromFetchFailure(err, { ...ctx, callerSignal: spec.signal, timeoutSignal, timeoutMs });
  }
}

/** Parse a 2xx JSON envelope and return its `data`; an envelope `code` outside 2xx is an error like an HTTP one. */
async function readEnvelope(res: Response, ctx: ErrorContext): Promise<unknown> {
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw makeError('BAD_RESPONSE', `${ctx.op}: HTTP ${res.status} with a body that is not JSON`, ctx, { status: res.status });
  }
  const env = EnvelopeSchema.safeParse(json);
  if (!env.success) {
    throw makeError('BAD_RESPONSE', `${ctx.op}: HTTP ${res.status} without the {code, message, data} envelope`, ctx, {
      status: res.status,
    });
  }
  const code = env.data.code;
  if (code !== undefined && (code < 200 || code > 299)) {
    throw errorFromStatus(code, env.data.message ?? undefined, ctx, { label: `HTTP ${res.status} with code ${code}` });
  }
  return env.data.data;
}

/** One JSON call, no retry: for the submit POST. */
export function requestOnce(t: Transport, spec: RequestSpec): Promise<unknown> {
  return attempt(t, spec, (res) => readEnvelope(res, contextFor(t, spec)));
}

/** A JSON call retried on network errors, timeouts, 429 and 5xx: only for calls that are safe to repeat. */
export function requestWithRetry(t: Transport, spec: RequestSpec): Promise<unknown> {
  return withRetry(spec.op, () => requestOnce(t, spec), { policy: t.retry, sleep: t.sleep, random: t.random, signal: spec.signal });
}
