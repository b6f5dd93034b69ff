import { MODELS } from '../models.js';
import { formatUsd, usdNumber } from '../money.js';
import { shownInput, wirePrediction, type MockContext, type RouteRequest } from './context.js';
import { intField, stringField, timeField } from './fields.js';
import { HttpError, envelope, errorReply, readJsonObject, type Reply } from './http-io.js';
import type { ListQuery, Prediction } from './predictions.js';
import { discountedCents, priceCents } from './pricing.js';
import { checkVideoInput } from './validate-input.js';

/** Handlers for the prediction, balance and price routes (docs/ARCHITECTURE.md "API facts we rely on"). */

export const SEVEN_DAYS_MS = 7 * 24 * 3600 * 1000;

function findModel(id: string) {
  const model = MODELS[id];
  if (!model) throw new HttpError(404, `Model not found: ${id}`);
  return model;
}

/** A list or result item: the prediction, with the body shown only if the server is set to show it. */
function wireItem(ctx: MockContext, p: Prediction): Record<string, unknown> {
  const view = ctx.inputView;
  return wirePrediction(ctx.baseUrl, p, view ? { key: view.key, input: shownInput(ctx.baseUrl, p, view) } : undefined);
}

/**
 * POST /api/v3/{model_id}: rate limit, validate, charge, create; the prediction comes back `created`. The limit
 * comes before the model and the inputs are checked, as a gateway's would (only a body that is not JSON at all is a
 * 400 first): a submit over it is answered 429, and nothing is created or charged.
 */
export async function handleSubmit(ctx: MockContext, r: RouteRequest): Promise<Reply> {
  const modelId = r.params[0] ?? '';
  const body = await readJsonObject(r.req);
  const wait = ctx.limiter.retryAfterSeconds(ctx.clock.now());
  if (wait !== null) {
    ctx.counters.rateLimited++;
    return errorReply(429, `Too many requests: the account's limit of submits per minute is reached; retry in ${wait} s`, {
      'retry-after': String(wait),
    });
  }
  const model = findModel(modelId);
  const checked = checkVideoInput(model, body);
  const cost = priceCents(ctx.prices, model, checked.durationSeconds);
  if (!ctx.ledger.tryCharge(cost)) {
    // [guess] The real status and text are undocumented (docs/ARCHITECTURE.md "API facts we rely on"); clients
    // match "insufficient balance".
    throw new HttpError(
      400,
      `Insufficient balance: this task costs $${formatUsd(cost)}, the balance is $${formatUsd(ctx.ledger.balanceCents)}. Please top up.`,
    );
  }
  const p = ctx.store.create({
    model: modelId,
    input: body,
    costCents: cost,
    durationSeconds: checked.durationSeconds,
    mediaUrls: checked.mediaUrls,
    plannedFailCode: ctx.faults.planTask(),
  });
  ctx.limiter.accept(ctx.clock.now());
  ctx.billing.record('charge', p, cost, p.createdAtMs);
  ctx.counters.recordSubmit(modelId, body, checked.ignoredKeys, p, (url) => ctx.media.contentId(url));
  if (r.faults.action === 'lostSubmit') {
    ctx.faults.counts.lostSubmit++;
    ctx.log(`fault lostSubmit: created and charged ${p.id}, dropping the response`);
    return { kind: 'destroy' };
  }
  if (checked.syncMode) await ctx.store.whenSettled(p);
  return envelope(wirePrediction(ctx.baseUrl, p));
}

/** GET /api/v3/predictions/{id}/result. */
export function handleResult(ctx: MockContext, r: RouteRequest): Reply {
  const id = r.params[0] ?? '';
  const p = ctx.store.get(id);
  if (!p) throw new HttpError(404, `Prediction not found: ${id}`);
  ctx.counters.polls++;
  return envelope(wireItem(ctx, p));
}

function parseListQuery(body: Record<string, unknown>, nowMs: number, lagMs: number): ListQuery {
  const after = timeField(body, 'created_after');
  return {
    page: intField(body, 'page', 1, 1, Number.MAX_SAFE_INTEGER),
    pageSize: intField(body, 'page_size', 20, 1, 100),
    model: stringField(body, 'model'),
    status: stringField(body, 'status'),
    // The real history only reaches back 7 days (docs/ARCHITECTURE.md "API facts we rely on").
    afterMs: Math.max(after ?? 0, nowMs - SEVEN_DAYS_MS),
    beforeMs: timeField(body, 'created_before'),
    visibleUntilMs: nowMs - lagMs,
  };
}

/**
 * POST /api/v3/predictions: history, newest first. Filters and the 7-day window are on the server's clock; a
 * prediction shows up `listLagMs` after its creation. Items show the body only with `listInputs`.
 */
export async function handleList(ctx: MockContext, r: RouteRequest): Promise<Reply> {
  const query = parseListQuery(await readJsonObject(r.req), ctx.clock.now(), ctx.listLagMs);
  const { total, items } = ctx.store.list(query);
  ctx.counters.lists++;
  return envelope({
    page: query.page,
    page_size: query.pageSize,
    total,
    items: items.map((p) => wireItem(ctx, p)),
  });
}

/** GET /api/v3/balance → `data.balance` in USD. */
export function handleBalance(ctx: MockContext): Reply {
  return envelope({ balance: ctx.ledger.balanceCents / 100 });
}

/**
 * POST /api/v3/model/price `{model_id, inputs}` → `data: {price, discounted_price}` in USD; free. `price` is what a
 * submit is charged (the table × `priceFactor`); `discounted_price` is only shown.
 */
export async function handlePrice(ctx: MockContext, r: RouteRequest): Promise<Reply> {
  const body = await readJsonObject(r.req);
  if (typeof body.model_id !== 'string' || body.model_id === '') throw new HttpError(400, 'model_id is required');
  const model = findModel(body.model_id);
  const inputs = body.inputs ?? {};
  if (typeof inputs !== 'object' || inputs === null || Array.isArray(inputs)) throw new HttpError(400, 'inputs must be an object');
  const duration = intField(inputs as Record<string, unknown>, 'duration', 5, 3, 15);
  const cents = priceCents(ctx.prices, model, duration);
  return envelope({ model_id: model.id, price: usdNumber(cents), discounted_price: usdNumber(discountedCents(ctx.prices, cents)) });
}
