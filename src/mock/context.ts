import type { IncomingMessage } from 'node:http';
import type { Animatics } from './animatic.js';
import type { FaultInjector, RequestFaults } from './faults.js';
import type { Reply } from './http-io.js';
import type { MediaStore } from './media.js';
import type { Prediction, PredictionStore } from './predictions.js';
import type { Ledger, MockCounters } from './stats.js';
import type { FaultRoute } from './types.js';

/** The server's whole state, handed to every handler. */
export interface MockContext {
  /** e.g. http://127.0.0.1:41234, no trailing slash. */
  baseUrl: string;
  apiKey: string;
  ledger: Ledger;
  counters: MockCounters;
  store: PredictionStore;
  media: MediaStore;
  faults: FaultInjector;
  /** The bytes every completed prediction's output serves. */
  output: Buffer;
  /** With ffmpeg: each output is an animatic of its request instead (mock/animatic.ts). */
  animatics?: Animatics;
  maxUploadBytes: number;
  log: (line: string) => void;
  closed: boolean;
}

export interface RouteRequest {
  req: IncomingMessage;
  url: URL;
  /** Capture groups of the route's pattern, URI-decoded. */
  params: string[];
  faults: RequestFaults;
}

export type Handler = (ctx: MockContext, r: RouteRequest) => Promise<Reply> | Reply;

export interface Route {
  method: string | string[];
  pattern: RegExp;
  /** Fault family; null = never faulted (the test-only /__mock routes). */
  name: FaultRoute | null;
  /** Requires `Authorization: Bearer <apiKey>` (every /api/v3 route). */
  auth: boolean;
  handler: Handler;
}

export function outputUrl(baseUrl: string, id: string): string {
  return `${baseUrl}/files/outputs/${id}.mp4`;
}

/**
 * A prediction as the API sends it (docs/ARCHITECTURE.md "API facts we rely on"). Two fields are [guess]es about
 * the real API, kept because clients benefit and tolerant clients ignore them: `error_code` (the task code, also
 * the prefix of `error`) on failed predictions, and `input` (the submitted body) on list items, for matching a
 * lost submit.
 */
export function wirePrediction(baseUrl: string, p: Prediction, withInput = false): Record<string, unknown> {
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
    ...(withInput ? { input: p.input } : {}),
  };
}
