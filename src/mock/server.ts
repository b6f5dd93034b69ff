import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { RenderError } from '../errors.js';
import { Animatics } from './animatic.js';
import type { MockContext } from './context.js';
import { FaultInjector } from './faults.js';
import { MediaStore } from './media.js';
import { PredictionStore } from './predictions.js';
import { handleRequest } from './router.js';
import { Ledger, MockCounters } from './stats.js';
import type { FaultOptions, MockServer, MockServerOptions } from './types.js';

/** fixtures/mock-output.mp4, resolved from src/mock (tests) and dist/mock (built) alike; `fixtures` ships in the package. */
export const DEFAULT_OUTPUT_FILE = fileURLToPath(new URL('../../fixtures/mock-output.mp4', import.meta.url));

export const MOCK_DEFAULTS = {
  host: '127.0.0.1',
  apiKey: 'mock-key',
  balanceUsd: 10_000,
  processingAfterMs: 50,
  completeAfterMs: 300,
  refundAfterMs: 0,
  seed: 1,
  maxUploadBytes: 64 * 1024 * 1024,
} as const;

function usage(message: string): RenderError {
  return new RenderError('USAGE', `mock server: ${message}`);
}

function nonNegative(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw usage(`${name} must be a number ≥ 0, got ${String(value)}`);
  return v;
}

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (v !== Infinity && (!Number.isInteger(v) || v < 1)) throw usage(`${name} must be an integer ≥ 1, got ${String(value)}`);
  return v;
}

/** Options with defaults, checked once (throws RenderError USAGE). */
export function resolveMockOptions(o: MockServerOptions) {
  const port = o.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw usage(`port must be an integer from 0 to 65535, got ${port}`);
  const seed = o.seed ?? MOCK_DEFAULTS.seed;
  if (!Number.isInteger(seed)) throw usage(`seed must be an integer, got ${seed}`);
  const host = o.host ?? MOCK_DEFAULTS.host;
  const apiKey = o.apiKey ?? MOCK_DEFAULTS.apiKey;
  if (host === '' || apiKey === '') throw usage('host and apiKey must not be empty');
  const processingAfterMs = nonNegative('processingAfterMs', o.processingAfterMs, MOCK_DEFAULTS.processingAfterMs);
  return {
    port,
    host,
    apiKey,
    seed,
    balanceCents: Math.round(nonNegative('balanceUsd', o.balanceUsd, MOCK_DEFAULTS.balanceUsd) * 100),
    processingAfterMs,
    completeAfterMs: Math.max(processingAfterMs, nonNegative('completeAfterMs', o.completeAfterMs, MOCK_DEFAULTS.completeAfterMs)),
    refundAfterMs: nonNegative('refundAfterMs', o.refundAfterMs, MOCK_DEFAULTS.refundAfterMs),
    maxConcurrentTasks: positiveInteger('maxConcurrentTasks', o.maxConcurrentTasks, Infinity),
    maxUploadBytes: positiveInteger('maxUploadBytes', o.maxUploadBytes, MOCK_DEFAULTS.maxUploadBytes),
    outputFile: o.outputFile ?? DEFAULT_OUTPUT_FILE,
    ffmpeg: o.ffmpeg,
    faults: o.faults ?? {},
    log: o.log ?? (() => {}),
  };
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

async function readOutput(file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (cause) {
    throw new RenderError('FILE_NOT_FOUND', `mock server: cannot read the output video ${file}`, { cause });
  }
}

function logRequests(log: (line: string) => void, req: IncomingMessage, res: ServerResponse): void {
  const started = performance.now();
  res.once('close', () => {
    const status = res.writableFinished ? String(res.statusCode) : 'dropped';
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    log(`mock: ${req.method ?? '?'} ${path} ${status} ${Math.round(performance.now() - started)}ms`);
  });
}

/** Starts the WaveSpeed-compatible server on 127.0.0.1 (port 0 = any free port). */
export async function startMockServer(options: MockServerOptions = {}): Promise<MockServer> {
  const o = resolveMockOptions(options);
  const output = await readOutput(o.outputFile);
  const faults = new FaultInjector(o.seed, o.faults);
  // Idle keep-alive sockets outlive the clients' own idle timeouts (undici: 4-10 s), so the client side always closes
  // first and a reused socket is never reset under it; close() cuts them all anyway.
  const server = createServer({ keepAliveTimeout: 30_000 });
  const port = await listen(server, o.port, o.host);
  const baseUrl = `http://${o.host.includes(':') ? `[${o.host}]` : o.host}:${port}`;
  const ledger = new Ledger(o.balanceCents);
  const media = new MediaStore(baseUrl);
  const store: PredictionStore = new PredictionStore({
    ...o,
    mediaExists: (url) => media.isFetchable(url, (id) => store.get(id)?.status === 'completed'),
    refund: (cents) => ledger.refund(cents),
  });
  const ctx: MockContext = { baseUrl, apiKey: o.apiKey, ledger, counters: new MockCounters(), store, media, faults, output, maxUploadBytes: o.maxUploadBytes, log: o.log, closed: false };
  if (o.ffmpeg) ctx.animatics = new Animatics(o.ffmpeg, media, baseUrl, o.log);
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (options.log) logRequests(o.log, req, res);
    handleRequest(ctx, req, res).catch((err: unknown) => {
      // Never an unhandled rejection: that would kill the process the server runs in.
      o.log(`mock: request failed: ${err instanceof Error ? err.message : String(err)}`);
      res.destroy();
    });
  });
  o.log(`mock: WaveSpeed-compatible server on ${baseUrl} (seed ${o.seed})`);
  return {
    url: baseUrl,
    port,
    apiKey: o.apiKey,
    stats: () => ctx.counters.snapshot(ledger, store, faults),
    setFaults: (f: FaultOptions) => faults.set(f),
    close: () => closeServer(server, ctx),
  };
}

function closeServer(server: Server, ctx: MockContext): Promise<void> {
  if (ctx.closed) return Promise.resolve();
  ctx.closed = true;
  ctx.store.dispose();
  return new Promise((resolve) => {
    server.close(() => resolve());
    // Keep-alive sockets (and requests held by a fault delay or sync mode) would otherwise hold close() open.
    server.closeAllConnections();
  });
}
