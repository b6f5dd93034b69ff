import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { BillingLog } from './billing.js';
import type { Animatics } from './animatic.js';
import type { FaultInjector, RequestFaults } from './faults.js';
import type { Reply } from './http-io.js';
import type { MediaStore } from './media.js';
import type { InputView } from './options.js';
import type { Prediction, PredictionStore } from './predictions.js';
import type { Prices } from './pricing.js';
import type { SubmitLimiter } from './rate-limit.js';
import type { Ledger, MockCounters } from './stats.js';
import type { FaultRoute, MockClock } from './types.js';

/** The server's whole state, handed to every handler. */
export interface MockContext {
  /** e.g. http://127.0.0.1:41234, no trailing slash. */
  baseUrl: string;
  apiKey: string;
  ledger: Ledger;
  billing: BillingLog;
  counters: MockCounters;
  store: PredictionStore;
  media: MediaStore;
  faults: FaultInjector;
  /** The bytes every completed prediction's output serves. */
  output: Buffer;
  /** With ffmpeg: each output is an animatic of its request instead (mock/animatic.ts). */
  animatics?: Animatics;
  maxUploadBytes: number;
  /** How list and result items show the submitted body; null = not at all (the docs' examples). */
  inputView: InputView | null;
  listLagMs: number;
  prices: Prices;
  limiter: SubmitLimiter;
  log: (line: string) => void;
  /** The server's clock: the option's clock plus `clockSkewMs`. */
  clock: MockClock;
  closed: boolean;
}

export interface RouteRequest {
  req: IncomingMessage;
  url: URL;
  /** Capture groups of the route's pattern, URI-decoded. */
  params: string[];
  faults: RequestFaults;
}

type Handler = (ctx: MockContext, r: RouteRequest) => Promise<Reply> | Reply;

export interface Route {
  method: string | string[];
  pattern: RegExp;
  /** Fault family; null = never faulted (the test-only /__mock routes). */
  name: FaultRoute | null;
  /** Requires `Authorization: Bearer <apiKey>` (every /api/v3 route). */
  auth: boolean;
  handler: Handler;
}

function outputUrl(baseUrl: string, id: string): string {
  return `${baseUrl}/files/outputs/${id}.mp4`;
}

const IMAGE_FIELDS = ['image', 'end_image'] as const;

/** The extension a stored copy of `url` gets: the source's own image extension, else `.png`. */
function storedExtension(url: string): string {
  const data = /^data:image\/(png|jpe?g|webp)[;,]/i.exec(url)?.[1];
  const path = /\.(png|jpe?g|webp)(?:[?#]|$)/i.exec(url)?.[1];
  return `.${(data ?? path ?? 'png').toLowerCase().replace('jpeg', 'jpg')}`;
}

/**
 * The body as list and result items show it. With `storeMediaUrls`, `image`/`end_image` become the server's own
 * stored copy: a URL on this origin, named by a hash of the prediction, the field and the source URL, so it differs
 * per prediction even for the same source [guess: the strict reading of a server that re-hosts its inputs; nothing
 * lets a client map it back]. The stored copies are not served (404).
 */
export function shownInput(baseUrl: string, p: Prediction, view: InputView): Record<string, unknown> {
  if (!view.storeMediaUrls) return p.input;
  const shown = { ...p.input };
  for (const field of IMAGE_FIELDS) {
    const url = shown[field];
    if (typeof url !== 'string') continue;
    const hash = createHash('sha256').update(`${p.id}\n${field}\n${url}`).digest('hex').slice(0, 32);
    shown[field] = `${baseUrl}/files/stored/${hash}${storedExtension(url)}`;
  }
  return shown;
}

/**
 * A prediction as the API sends it (docs/ARCHITECTURE.md "API facts we rely on"). `error_code` (the task code, also
 * the prefix of `error`) on failed predictions is a [guess], kept because tolerant clients ignore it. The body is
 * shown (as `input` or `inputs`) only when `shown` is given: the docs' examples carry neither
 * (docs/ARCHITECTURE.md "The local server").
 */
export function wirePrediction(baseUrl: string, p: Prediction, shown?: { key: string; input: Record<string, unknown> }): Record<string, unknown> {
  const done = p.status === 'completed';
  return {
    id: p.id,
    model: p.model,
    outputs: done ? [outputUrl(baseUrl, p.id)] : [],
    urls: { get: `${baseUrl}/api/v3/predictions/${p.id}/result` },
    has_nsfw_contents: done ? [false] : [],
    status: p.status,
    created_at: new Date(p.createdAtMs).toISOString(),
    error: p.error,
    ...(p.errorCode === null ? {} : { error_code: p.errorCode }),
    timings: { inference: p.finishedAtMs !== null && p.startedAtMs !== null ? p.finishedAtMs - p.startedAtMs : 0 },
    ...(shown ? { [shown.key]: shown.input } : {}),
  };
}
