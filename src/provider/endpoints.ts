import type { z } from 'zod';
import { makeError, toSubmitError, type ErrorContext } from './map-error.js';
import { usdToCentsExact } from '../money.js';
import { abortedError } from './retry.js';
import { contextFor, requestOnce, requestWithRetry, type Transport } from './transport.js';
import { BalanceDataSchema, ListDataSchema, PredictionDataSchema, PriceDataSchema, toPrediction, type Prediction } from './wire.js';

/** The API calls proper, over a Transport. The client (client.ts) only wires these together. */

export interface CallOptions {
  signal?: AbortSignal;
}

export interface ListQuery {
  page?: number;
  /** 1..100 (docs/ARCHITECTURE.md "API facts we rely on"); default 100. */
  page_size?: number;
  model?: string;
  status?: string;
  created_after?: string;
  created_before?: string;
}

export interface PredictionPage {
  page: number;
  total?: number;
  items: Prediction[];
}

export interface PriceQuote {
  priceCents: number;
  discountedCents?: number;
}

// Model ids are path segments joined by '/': anything else could walk the URL somewhere unintended.
const MODEL_ID = /^[A-Za-z0-9][\w.-]*(?:\/[\w.-]+)*$/;

function checkModel(model: string, ctx: ErrorContext): void {
  if (!MODEL_ID.test(model) || model.split('/').some((seg) => seg === '..' || seg === '.')) {
    throw makeError('INVALID_INPUT', `${ctx.op}: "${model}" is not a model id`, ctx, {
      hint: 'use an id such as kwaivgi/kling-v3.0-4k/image-to-video',
    });
  }
}

function parseOr<T>(schema: z.ZodType<T>, data: unknown, ctx: ErrorContext, what: string): T {
  const parsed = schema.safeParse(data);
  if (!parsed.success) throw makeError('BAD_RESPONSE', `${ctx.op}: unexpected ${what}: ${parsed.error.issues[0]?.message ?? ''}`, ctx);
  return parsed.data;
}

/**
 * POST /api/v3/{model}: exactly one request, never retried (a retry could pay twice). Outcomes:
 * - the prediction (whatever its status);
 * - ABORTED if the signal was already aborted, so nothing was sent;
 * - a definite refusal: AUTH, FORBIDDEN, INVALID_INPUT, NOT_FOUND, RATE_LIMITED (retryAfterMs), INSUFFICIENT_BALANCE;
 * - UNKNOWN_OUTCOME for anything else once the request left: 5xx, a timeout, a dropped connection, a caller abort
 *   mid-flight, or a 2xx we cannot read. The task may exist and be paid: settle by listing, never by resubmitting.
 */
export async function submitPrediction(t: Transport, model: string, body: object, opts: CallOptions = {}): Promise<Prediction> {
  const ctx = contextFor(t, { op: `submit ${model}` });
  checkModel(model, ctx);
  if (opts.signal?.aborted) throw abortedError(ctx.op, opts.signal.reason);
  let data: unknown;
  try {
    data = await requestOnce(t, { op: ctx.op, method: 'POST', url: `${t.baseUrl}/api/v3/${model}`, json: body, signal: opts.signal });
  } catch (err) {
    throw toSubmitError(err, ctx);
  }
  const parsed = PredictionDataSchema.safeParse(data);
  if (!parsed.success) {
    throw toSubmitError(makeError('BAD_RESPONSE', `${ctx.op}: the answer has no readable prediction`, ctx), ctx);
  }
  return toPrediction(parsed.data);
}

export async function getPrediction(t: Transport, id: string, opts: CallOptions = {}): Promise<Prediction> {
  const op = `GET prediction ${id}`;
  const ctx = contextFor(t, { op });
  if (!id.trim()) throw makeError('INVALID_INPUT', `${op}: empty prediction id`, ctx);
  const data = await requestWithRetry(t, {
    op,
    method: 'GET',
    url: `${t.baseUrl}/api/v3/predictions/${encodeURIComponent(id)}/result`,
    signal: opts.signal,
    hints: { NOT_FOUND: 'predictions are kept 7 days: the id is older than that, mistyped, or from another account' },
  });
  return toPrediction(parseOr(PredictionDataSchema, data, ctx, 'prediction'));
}

export async function listPredictions(t: Transport, q: ListQuery, opts: CallOptions = {}): Promise<PredictionPage> {
  const ctx = contextFor(t, { op: 'list predictions' });
  const page = q.page ?? 1;
  const pageSize = q.page_size ?? 100;
  if (!Number.isInteger(page) || page < 1 || !Number.isInteger(pageSize) || pageSize < 1 || pageSize > 100) {
    throw makeError('INVALID_INPUT', `${ctx.op}: page must be >= 1 and page_size 1..100`, ctx);
  }
  const body: Record<string, unknown> = { page, page_size: pageSize };
  for (const key of ['model', 'status', 'created_after', 'created_before'] as const) {
    if (q[key] !== undefined) body[key] = q[key];
  }
  // A list is a read: retrying it is safe even though it is a POST.
  const data = parseOr(
    ListDataSchema,
    await requestWithRetry(t, { op: ctx.op, method: 'POST', url: `${t.baseUrl}/api/v3/predictions`, json: body, signal: opts.signal }),
    ctx,
    'list',
  );
  const rawItems = Array.isArray(data) ? data : (data.items ?? []);
  const items = rawItems.map((item) => toPrediction(parseOr(PredictionDataSchema, item, ctx, 'list item')));
  const result: PredictionPage = { page: Array.isArray(data) ? page : (data.page ?? page), items };
  if (!Array.isArray(data) && typeof data.total === 'number') result.total = data.total;
  return result;
}

function toCents(value: number | string, rounding: 'floor' | 'half-up', ctx: ErrorContext): number {
  const cents = usdToCentsExact(value, rounding);
  if (cents === null) throw makeError('BAD_RESPONSE', `${ctx.op}: "${String(value)}" is not a USD amount`, ctx);
  return cents;
}

/** GET /api/v3/balance, in integer cents, rounded down: never count money the account does not have. */
export async function getBalanceCents(t: Transport, opts: CallOptions = {}): Promise<number> {
  const ctx = contextFor(t, { op: 'GET balance' });
  const data = await requestWithRetry(t, { op: ctx.op, method: 'GET', url: `${t.baseUrl}/api/v3/balance`, signal: opts.signal });
  return toCents(parseOr(BalanceDataSchema, data, ctx, 'balance').balance, 'floor', ctx);
}

/** POST /api/v3/model/price: a free quote (safe to retry), rounded half up to the cent. */
export async function quotePriceCents(t: Transport, model: string, inputs: object, opts: CallOptions = {}): Promise<PriceQuote> {
  const ctx = contextFor(t, { op: `price ${model}` });
  checkModel(model, ctx);
  const data = await requestWithRetry(t, {
    op: ctx.op,
    method: 'POST',
    url: `${t.baseUrl}/api/v3/model/price`,
    json: { model_id: model, inputs },
    signal: opts.signal,
  });
  const price = parseOr(PriceDataSchema, data, ctx, 'price');
  const quote: PriceQuote = { priceCents: toCents(price.price, 'half-up', ctx) };
  if (price.discounted_price !== null && price.discounted_price !== undefined) {
    quote.discountedCents = toCents(price.discounted_price, 'half-up', ctx);
  }
  return quote;
}
