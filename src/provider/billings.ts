import { makeError, type ErrorContext } from './map-error.js';
import { usdToCentsExact } from '../money.js';
import { contextFor, requestWithRetry, type Transport } from './transport.js';
import { BillingItemSchema, BillingPageSchema } from './wire.js';
import type { CallOptions } from './endpoints.js';

/**
 * The account's itemised bill, `POST /api/v3/billings/search` (docs/ARCHITECTURE.md "API facts we rely on"): every
 * page of a time window, read as charges and refunds per prediction. A search is a read, so it is retried like one.
 */

export interface BillingQuery {
  /** From when (inclusive, ms since the epoch on our clock); moved up to what the server keeps (7 days). */
  startMs: number;
  /** Until when (inclusive); default now. */
  endMs?: number;
  /** Pages of 100 read at most (default 50): a bill longer than that is reported incomplete, never silently cut. */
  maxPages?: number;
}

export interface BillingItem {
  uuid?: string;
  /** As sent: `charge` and `refund` are the names seen; any other is kept for the caller to set apart. */
  type: string;
  /** The amount's magnitude in integer cents, rounded half up: [guess] a refund's sign is undocumented. */
  cents: number;
  createdAt?: string;
  predictionId?: string;
  model?: string;
  predictionStatus?: string;
}

export interface BillingSearch {
  items: BillingItem[];
  /** The window actually asked for (its start moved up to the 7 days the server keeps). */
  startMs: number;
  endMs: number;
  pages: number;
  /** False when `maxPages` stopped the reading while the server said it had more. */
  complete: boolean;
}

const PAGE_SIZE = 100;
/** The server keeps 7 days of history; a minute less, so a clock a little ahead of ours is never asked for more. */
export const BILLING_WINDOW_MS = 7 * 24 * 3_600_000 - 60_000;

function toItem(raw: unknown, ctx: ErrorContext): BillingItem {
  const parsed = BillingItemSchema.safeParse(raw);
  if (!parsed.success) throw makeError('BAD_RESPONSE', `${ctx.op}: unexpected billing item: ${parsed.error.issues[0]?.message ?? ''}`, ctx);
  const d = parsed.data;
  const text = typeof d.price === 'string' ? d.price.trim() : String(d.price);
  const cents = usdToCentsExact(text.replace(/^-/, ''), 'half-up');
  if (cents === null) throw makeError('BAD_RESPONSE', `${ctx.op}: "${text}" is not a USD amount`, ctx);
  const item: BillingItem = { type: d.billing_type ?? '', cents };
  if (d.uuid) item.uuid = d.uuid;
  if (d.created_at) item.createdAt = d.created_at;
  if (d.prediction?.uuid) item.predictionId = d.prediction.uuid;
  if (d.prediction?.model_uuid) item.model = d.prediction.model_uuid;
  if (d.prediction?.status) item.predictionStatus = d.prediction.status;
  return item;
}

/** Every billing item of the window, newest first as the server sends them, reading `has_more` page by page. */
export async function searchBillings(t: Transport, q: BillingQuery, opts: CallOptions = {}): Promise<BillingSearch> {
  const ctx = contextFor(t, { op: 'search billings' });
  const now = t.now();
  const startMs = Math.max(q.startMs, now - BILLING_WINDOW_MS);
  const endMs = q.endMs ?? now;
  const maxPages = q.maxPages ?? 50;
  const items: BillingItem[] = [];
  for (let page = 1; ; page++) {
    const body = { page, page_size: PAGE_SIZE, start_time: new Date(startMs).toISOString(), end_time: new Date(endMs).toISOString() };
    const data = await requestWithRetry(t, { op: ctx.op, method: 'POST', url: `${t.baseUrl}/api/v3/billings/search`, json: body, signal: opts.signal });
    const parsed = BillingPageSchema.safeParse(data);
    if (!parsed.success) throw makeError('BAD_RESPONSE', `${ctx.op}: unexpected page: ${parsed.error.issues[0]?.message ?? ''}`, ctx);
    const raw = parsed.data.items ?? [];
    items.push(...raw.map((r) => toItem(r, ctx)));
    // [guess] without `has_more`, a full page is taken to mean there may be more.
    const more = parsed.data.has_more ?? raw.length === PAGE_SIZE;
    if (!more || raw.length === 0) return { items, startMs, endMs, pages: page, complete: true };
    if (page >= maxPages) return { items, startMs, endMs, pages: page, complete: false };
  }
}
