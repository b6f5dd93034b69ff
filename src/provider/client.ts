import pLimit from 'p-limit';
import { DEFAULT_BASE_URL, normalizeBaseUrl } from '../endpoint.js';
import { searchBillings, type BillingQuery, type BillingSearch } from './billings.js';
import { downloadFile, type DownloadOptions, type DownloadResult } from './download.js';
import {
  getBalanceCents,
  getPrediction,
  listPredictions,
  quotePriceCents,
  submitPrediction,
  type CallOptions,
  type ListQuery,
  type PredictionPage,
  type PriceQuote,
} from './endpoints.js';
import { makeError, redactThrown } from './map-error.js';
import { waitForPrediction, type WaitOptions } from './poll.js';
import { createRedactor } from '../util/redact.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry.js';
import { sleep, type Sleep } from '../util/sleep.js';
import { ServerClock } from './server-clock.js';
import type { Transport } from './transport.js';
import { uploadFile, type UploadOptions, type UploadResult } from './upload.js';
import { packageVersion } from '../util/version.js';
import type { Prediction } from './wire.js';

const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;
const DEFAULT_DOWNLOAD_TIMEOUT_MS = 15 * 60_000;
/** API requests in flight at once: below the Agent's 128 connections, leaving room for downloads (provider/http.ts). */
const MAX_API_REQUESTS = 96;

export interface ClientOptions {
  /** Default: env WAVESPEED_BASE_URL, else https://api.wavespeed.ai. */
  baseUrl?: string;
  /** Default: env WAVESPEED_API_KEY. Checked when a call needs it, so a client without a key can still download. */
  apiKey?: string;
  /** Deadline of one API request, body included. */
  requestTimeoutMs?: number;
  /** Deadline of one download attempt, body included. */
  downloadTimeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  /** Injected for tests (instant, recorded waits). Must reject when the signal aborts. */
  sleep?: Sleep;
  random?: () => number;
  /** Clock for Retry-After dates and poll timeouts. */
  now?: () => number;
  clientName?: string;
  clientVersion?: string;
}

export interface WaveSpeedClient {
  readonly baseUrl: string;
  submit(model: string, body: object, opts?: CallOptions): Promise<Prediction>;
  getResult(id: string, opts?: CallOptions): Promise<Prediction>;
  listPredictions(q: ListQuery, opts?: CallOptions): Promise<PredictionPage>;
  upload(filePath: string, opts?: UploadOptions): Promise<UploadResult>;
  download(url: string, destPath: string, opts?: DownloadOptions): Promise<DownloadResult>;
  waitForResult(id: string, opts?: WaitOptions): Promise<Prediction>;
  balanceCents(opts?: CallOptions): Promise<number>;
  priceCents(model: string, inputs: object, opts?: CallOptions): Promise<PriceQuote>;
  /** The account's charges and refunds in a window, every page read (up to a cap: see `complete`). */
  billings(q: BillingQuery, opts?: CallOptions): Promise<BillingSearch>;
  /** Replace the API key (and any Bearer token) in `text`: for anything the caller logs. */
  redact(text: string): string;
  /** The server's clock minus ours in ms, from its Date headers; undefined until an answer carried one. */
  serverClockOffsetMs(): number | undefined;
}

function buildTransport(options: ClientOptions): Transport {
  const apiKey = (options.apiKey ?? process.env.WAVESPEED_API_KEY)?.trim() || undefined;
  const redact = createRedactor([apiKey]);
  const rawBase = options.baseUrl ?? (process.env.WAVESPEED_BASE_URL?.trim() || DEFAULT_BASE_URL);
  return {
    baseUrl: normalizeBaseUrl(rawBase, [apiKey]),
    apiKey,
    clientName: options.clientName ?? 'render',
    clientVersion: options.clientVersion ?? packageVersion(),
    requestTimeoutMs: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    retry: { ...DEFAULT_RETRY_POLICY, ...options.retry },
    sleep: options.sleep ?? sleep,
    random: options.random ?? Math.random,
    now: options.now ?? Date.now,
    redact,
    clock: new ServerClock(),
    gate: pLimit(MAX_API_REQUESTS),
  };
}

export function createClient(options: ClientOptions = {}): WaveSpeedClient {
  const t = buildTransport(options);
  const downloadTimeoutMs = options.downloadTimeoutMs ?? DEFAULT_DOWNLOAD_TIMEOUT_MS;

  /** Every call: a key check for API calls, then a last redaction pass on whatever is thrown. */
  async function guard<T>(op: string, needsKey: boolean, fn: () => Promise<T>): Promise<T> {
    const ctx = { op, redact: t.redact };
    try {
      if (needsKey && !t.apiKey) {
        throw makeError('AUTH', `${op}: no API key`, ctx, { hint: 'set WAVESPEED_API_KEY (keys: https://wavespeed.ai/accesskey)' });
      }
      return await fn();
    } catch (err) {
      throw redactThrown(err, ctx);
    }
  }

  const getResult = (id: string, opts?: CallOptions) => guard('get result', true, () => getPrediction(t, id, opts));

  return {
    baseUrl: t.baseUrl,
    submit: (model, body, opts) => guard('submit', true, () => submitPrediction(t, model, body, opts)),
    getResult,
    listPredictions: (q, opts) => guard('list predictions', true, () => listPredictions(t, q, opts)),
    upload: (filePath, opts) => guard('upload', true, () => uploadFile(t, filePath, opts)),
    download: (url, destPath, opts) => guard('download', false, () => downloadFile(t, url, destPath, { timeoutMs: downloadTimeoutMs, ...opts })),
    waitForResult: (id, opts = {}) =>
      guard('wait for result', true, () =>
        waitForPrediction(id, opts, { getResult, sleep: t.sleep, random: t.random, now: t.now, ctx: { op: `wait for ${id}`, redact: t.redact } }),
      ),
    balanceCents: (opts) => guard('balance', true, () => getBalanceCents(t, opts)),
    priceCents: (model, inputs, opts) => guard('price', true, () => quotePriceCents(t, model, inputs, opts)),
    billings: (q, opts) => guard('billings', true, () => searchBillings(t, q, opts)),
    redact: t.redact,
    serverClockOffsetMs: () => t.clock.offsetMs(),
  };
}
