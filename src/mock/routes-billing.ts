import { BILLING_TYPES, wireBillingItem } from './billing.js';
import type { MockContext, RouteRequest } from './context.js';
import { intField, stringField, timeField } from './fields.js';
import { HttpError, envelope, readJsonObject, type Reply } from './http-io.js';
import { SEVEN_DAYS_MS } from './routes-api.js';

/**
 * POST /api/v3/billings/search `{page, page_size, billing_type?, start_time?, end_time?, model_uuid?}` →
 * `data: {page, has_more, items[]}`, newest first (docs/ARCHITECTURE.md "API facts we rely on", [doc: CLI code]).
 * Where the CLI's code is silent, strict [guess]es: `page` and `page_size` are required (the CLI types them as
 * such), `page_size` is 1..100 like the list's, an unknown `billing_type` is a 400 (not an empty page a client
 * could read as "nothing spent"), times are inclusive, on the server's clock, and reach back 7 days like the
 * prediction history.
 */
export async function handleBillingSearch(ctx: MockContext, r: RouteRequest): Promise<Reply> {
  const body = await readJsonObject(r.req);
  const type = stringField(body, 'billing_type');
  if (type !== undefined && !(BILLING_TYPES as readonly string[]).includes(type)) {
    throw new HttpError(400, `billing_type must be one of ${BILLING_TYPES.join(', ')}, got ${JSON.stringify(type)}`);
  }
  const page = intField(body, 'page', undefined, 1, Number.MAX_SAFE_INTEGER);
  const pageSize = intField(body, 'page_size', undefined, 1, 100);
  const start = timeField(body, 'start_time');
  const { items, hasMore } = ctx.billing.search({
    page,
    pageSize,
    type,
    model: stringField(body, 'model_uuid'),
    startMs: Math.max(start ?? 0, ctx.clock.now() - SEVEN_DAYS_MS),
    endMs: timeField(body, 'end_time'),
  });
  return envelope({ page, has_more: hasMore, items: items.map(wireBillingItem) });
}
