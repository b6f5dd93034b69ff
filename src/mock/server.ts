import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { RenderError } from '../errors.js';
import { BillingLog } from './billing.js';
import { REAL_CLOCK, httpDate, skewedClock } from './clock.js';
import { Animatics } from './animatic.js';
import type { MockContext } from './context.js';
import { FaultInjector } from './faults.js';
import { MediaStore } from './media.js';
import { factor, nonNegative, positiveInteger, resolveInputView, resolveRenderTime, usage } from './options.js';
import { PredictionStore } from './predictions.js';
import { SubmitLimiter } from './rate-limit.js';
import { handleRequest } from './router.js';
import { Ledger, MockCounters } from './stats.js';
import type { FaultOptions, MockClock, MockServer, MockServerOptions } from './types.js';

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
  listLagMs: 0,
  clockSkewMs: 0,
} as const;

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
  const clockSkewMs = o.clockSkewMs ?? MOCK_DEFAULTS.clockSkewMs;
  if (!Number.isSafeInteger(clockSkewMs)) throw usage(`clockSkewMs must be an integer number of milliseconds, got ${String(o.clockSkewMs)}`);
  return {
    port,
    host,
    apiKey,
    seed,
    balanceCents: Math.round(nonNegative('balanceUsd', o.balanceUsd, MOCK_DEFAULTS.balanceUsd) * 100),
    processingAfterMs,
    completeAfterMs: Math.max(processingAfterMs, nonNegative('completeAfterMs', o.completeAfterMs, MOCK_DEFAULTS.completeAfterMs)),
    refundAfterMs: nonNegative('refundAfterMs', o.refundAfterMs, MOCK_DEFAULTS.refundAfterMs),
    renderTime: resolveRenderTime(o.renderTime),
    maxConcurrentTasks: positiveInteger('maxConcurrentTasks', o.maxConcurrentTasks, Infinity),
    submitsPerMinute: positiveInteger('submitsPerMinute', o.submitsPerMinute, Infinity),
    inputView: resolveInputView(o),
    listLagMs: nonNegative('listLagMs', o.listLagMs, MOCK_DEFAULTS.listLagMs),
    clockSkewMs,
    priceFactor: factor('priceFactor', o.priceFactor, 100),
    discountFactor: factor('discountFactor', o.discountFactor, 1),
    maxUploadBytes: positiveInteger('maxUploadBytes', o.maxUploadBytes, MOCK_DEFAULTS.maxUploadBytes),
    outputFile: o.outputFile ?? DEFAULT_OUTPUT_FILE,
    ffmpeg: o.ffmpeg,
    faults: o.faults ?? {},
    log: o.log ?? (() => {}),
    clock: skewedClock(o.clock ?? REAL_CLOCK, clockSkewMs),
  };
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const fail = (err: NodeJS.ErrnoException) => reject(listenError(err, port, host));
    server.once('error', fail);
    server.listen(port, host, () => {
      server.off('error', fail);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** A port that cannot be had is the user's environment, said as such (exit 2), never "a bug in render". */
function listenError(err: NodeJS.ErrnoException, port: number, host: string): Error {
  const hint = 'pick another with --port N, or --port 0 for any free port';
  if (err.code === 'EADDRINUSE') return new RenderError('USAGE', `port ${port} on ${host} is already in use by another program`, { hint, cause: err });
  if (err.code === 'EACCES')
    return new RenderError('USAGE', `not allowed to listen on port ${port} on ${host} (ports below 1024 need privileges)`, { hint, cause: err });
  if (err.code === 'EADDRNOTAVAIL') return new RenderError('USAGE', `cannot listen on ${host}: no such address on this machine`, { cause: err });
  return err;
}

async function readOutput(file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (cause) {
    throw new RenderError('FILE_NOT_FOUND', `mock server: cannot read the output video ${file}`, { cause });
  }
}

function logRequests(log: (line: string) => void, clock: MockClock, req: IncomingMessage, res: ServerResponse): void {
  const started = clock.now();
  res.once('close', () => {
    const status = res.writableFinished ? String(res.statusCode) : 'dropped';
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    log(`mock: ${req.method ?? '?'} ${path} ${status} ${Math.round(clock.now() - started)}ms`);
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
  const billing = new BillingLog();
  const media = new MediaStore(baseUrl);
  const store: PredictionStore = new PredictionStore({
    ...o,
    mediaExists: (url) => media.isFetchable(url, (id) => store.get(id)?.status === 'completed'),
    refund: (p) => {
      ledger.refund(p.costCents);
      billing.record('refund', p, p.costCents, o.clock.now());
    },
  });
  const ctx: MockContext = {
    baseUrl,
    apiKey: o.apiKey,
    ledger,
    billing,
    counters: new MockCounters(),
    store,
    media,
    faults,
    output,
    maxUploadBytes: o.maxUploadBytes,
    inputView: o.inputView,
    listLagMs: o.listLagMs,
    prices: { priceFactor: o.priceFactor, discountFactor: o.discountFactor },
    limiter: new SubmitLimiter(o.submitsPerMinute),
    log: o.log,
    clock: o.clock,
    closed: false,
  };
  if (o.ffmpeg) ctx.animatics = new Animatics(o.ffmpeg, media, baseUrl, o.log);
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (options.log) logRequests(o.log, o.clock, req, res);
    handleRequest(ctx, req, res).catch((err: unknown) => {
      // Never an unhandled rejection: that would kill the process the server runs in.
      o.log(`mock: request failed: ${err instanceof Error ? err.message : String(err)}`);
      res.destroy();
    });
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => answerClientError(err, socket, o.clock.now()));
  o.log(`mock: WaveSpeed-compatible server on ${baseUrl} (seed ${o.seed})`);
  return {
    url: baseUrl,
    port,
    apiKey: o.apiKey,
    stats: () => ctx.counters.snapshot(ledger, store, faults, billing, ctx.animatics?.made ?? 0),
    setFaults: (f: FaultOptions) => faults.set(f),
    close: () => closeServer(server, ctx),
  };
}

/**
 * A request Node could not parse: answered like Node's default handler (400, or 431 for oversized headers), but
 * with a `Date` from the server's clock, so that no response of this server shows the real clock.
 */
function answerClientError(err: NodeJS.ErrnoException, socket: Socket, nowMs: number): void {
  if (err.code === 'ECONNRESET' || !socket.writable || socket.bytesWritten > 0) {
    socket.destroy();
    return;
  }
  const status =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? '431 Request Header Fields Too Large'
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? '408 Request Timeout'
        : '400 Bad Request';
  socket.end(`HTTP/1.1 ${status}\r\nDate: ${httpDate(nowMs)}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
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
