import type { IncomingMessage, ServerResponse } from 'node:http';
import { isRenderError } from '../errors.js';
import { delay } from './clock.js';
import type { MockContext, Route, RouteRequest } from './context.js';
import { NO_FAULTS, type RequestFaults } from './faults.js';
import { HttpError, errorReply, readJsonObject, writeReply, type Reply } from './http-io.js';
import { handleBalance, handleList, handlePrice, handleResult, handleSubmit } from './routes-api.js';
import { handleBillingSearch } from './routes-billing.js';
import { handleBinaryUpload, handleUploadPut, handleUploadTicket, serveMedia, serveOutput } from './routes-media.js';

/** Test hooks, outside /api/v3: no key, never faulted. */
function handleStats(ctx: MockContext): Reply {
  return { kind: 'json', status: 200, body: ctx.counters.snapshot(ctx.ledger, ctx.store, ctx.faults, ctx.billing, ctx.animatics?.made ?? 0) };
}

async function handleFaults(ctx: MockContext, r: RouteRequest): Promise<Reply> {
  if (r.req.method === 'POST') {
    try {
      ctx.faults.set(await readJsonObject(r.req));
    } catch (err) {
      if (isRenderError(err)) throw new HttpError(400, err.message);
      throw err;
    }
  }
  const { routes, ...rest } = ctx.faults.current;
  return { kind: 'json', status: 200, body: { ...rest, routes: [...routes] } };
}

/**
 * What the WaveSpeed dashboard shows a user: every prediction the account made, newest first, with the body it was
 * submitted with, whatever the API's list shows. Tests play the user who resolves an unknown outcome with it.
 */
function handleDashboard(ctx: MockContext): Reply {
  const { items } = ctx.store.list({ page: 1, pageSize: Number.MAX_SAFE_INTEGER });
  return { kind: 'json', status: 200, body: items.map((p) => ({ id: p.id, model: p.model, status: p.status, input: p.input })) };
}

/** Order matters: the submit catch-all `POST /api/v3/{model_id}` comes after every fixed /api/v3 route. */
const ROUTES: readonly Route[] = [
  { method: 'GET', pattern: /^\/__mock\/stats$/, name: null, auth: false, handler: handleStats },
  { method: ['GET', 'POST'], pattern: /^\/__mock\/faults$/, name: null, auth: false, handler: handleFaults },
  { method: 'GET', pattern: /^\/__mock\/dashboard$/, name: null, auth: false, handler: handleDashboard },
  { method: 'GET', pattern: /^\/api\/v3\/balance$/, name: 'balance', auth: true, handler: handleBalance },
  { method: 'POST', pattern: /^\/api\/v3\/model\/price$/, name: 'price', auth: true, handler: handlePrice },
  { method: 'POST', pattern: /^\/api\/v3\/billings\/search$/, name: 'billing', auth: true, handler: handleBillingSearch },
  { method: 'POST', pattern: /^\/api\/v3\/predictions$/, name: 'list', auth: true, handler: handleList },
  { method: 'GET', pattern: /^\/api\/v3\/predictions\/([^/]+)\/result$/, name: 'result', auth: true, handler: handleResult },
  { method: 'POST', pattern: /^\/api\/v3\/media\/upload\/binary$/, name: 'upload', auth: true, handler: handleBinaryUpload },
  { method: 'POST', pattern: /^\/api\/v3\/media\/uploads$/, name: 'upload', auth: true, handler: handleUploadTicket },
  { method: 'POST', pattern: /^\/api\/v3\/(.+)$/, name: 'submit', auth: true, handler: handleSubmit },
  { method: 'PUT', pattern: /^\/upload\/([\w-]+)$/, name: 'upload', auth: false, handler: handleUploadPut },
  { method: ['GET', 'HEAD'], pattern: /^\/files\/media\/([^/]+)\/[^/]+$/, name: 'download', auth: false, handler: serveMedia },
  { method: ['GET', 'HEAD'], pattern: /^\/files\/outputs\/([^/]+)\.mp4$/, name: 'download', auth: false, handler: serveOutput },
];

function safeDecode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part; // a malformed escape simply matches nothing
  }
}

type Match = { route: Route; params: string[] } | { status: 404 | 405 };

function matchRoute(method: string, path: string): Match {
  let pathMatched = false;
  for (const route of ROUTES) {
    const m = route.pattern.exec(path);
    if (!m) continue;
    pathMatched = true;
    const methods = typeof route.method === 'string' ? [route.method] : route.method;
    if (!methods.includes(method)) continue;
    return { route, params: m.slice(1).map(safeDecode) };
  }
  return { status: pathMatched ? 405 : 404 };
}

function isAuthorized(ctx: MockContext, req: IncomingMessage): boolean {
  const header = req.headers.authorization ?? '';
  const m = /^Bearer\s+(.+)$/i.exec(header);
  return m?.[1]?.trim() === ctx.apiKey;
}

/** Answers for the injected request faults that replace handling; null = handle the request. */
function injectedReply(ctx: MockContext, faults: RequestFaults): Reply | null {
  switch (faults.action) {
    case 'drop':
      return { kind: 'destroy' };
    case 'rateLimit': {
      const seconds = ctx.faults.current.retryAfterSeconds;
      return errorReply(429, 'Too many requests: rate limit exceeded (mock fault)', seconds > 0 ? { 'retry-after': String(seconds) } : {});
    }
    case 'error':
      return errorReply(faults.status, `Server error ${faults.status} (mock fault)`);
    default:
      return null;
  }
}

async function runHandler(ctx: MockContext, r: RouteRequest, route: Route): Promise<Reply> {
  try {
    return await route.handler(ctx, r);
  } catch (err) {
    if (err instanceof HttpError) return errorReply(err.status, err.message, err.headers);
    if (r.req.destroyed) return { kind: 'destroy' }; // the client went away mid-body
    ctx.log(`mock: internal error on ${r.req.method} ${r.url.pathname}: ${err instanceof Error ? err.stack : String(err)}`);
    return errorReply(500, `Internal error in the mock server: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** One request: route → key → faults → handler → (late) answer. */
export async function handleRequest(ctx: MockContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const send = (reply: Reply) => writeReply(res, reply, ctx.clock.now());
  const url = new URL(req.url ?? '/', ctx.baseUrl);
  const found = matchRoute(req.method ?? 'GET', url.pathname);
  if (url.pathname.startsWith('/api/v3/') && !isAuthorized(ctx, req)) {
    return send(errorReply(401, 'Unauthorized: missing or invalid API key (Authorization: Bearer <key>)'));
  }
  if ('status' in found) {
    const text = found.status === 404 ? `Not found: ${url.pathname}` : `Method ${req.method} not allowed on ${url.pathname}`;
    return send(errorReply(found.status, text));
  }
  const faults = found.route.name === null ? NO_FAULTS : ctx.faults.planRequest(found.route.name);
  if (faults.action !== 'none') ctx.log(`mock: fault ${faults.action} on ${found.route.name}`);
  await delay(ctx.clock, faults.latencyMs);
  if (ctx.closed) return send({ kind: 'destroy' });
  const r: RouteRequest = { req, url, params: found.params, faults };
  const reply = injectedReply(ctx, faults) ?? (await runHandler(ctx, r, found.route));
  if (reply.kind !== 'destroy') await delay(ctx.clock, faults.slowMs);
  send(reply);
}
