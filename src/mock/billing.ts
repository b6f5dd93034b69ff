import { randomUUID } from 'node:crypto';
import { usdNumber } from '../money.js';
import type { Prediction } from './predictions.js';

/**
 * The account's itemised bill, as `POST /api/v3/billings/search` shows it (docs/ARCHITECTURE.md "API facts we rely
 * on"; shapes from the official CLI's code): one `charge` per accepted submit, written at submit, and one `refund`
 * per refunded task, written when the refund lands (`refundAfterMs` after the failure).
 *
 * [guess] A refund's `price` is positive, the same amount as its charge, told apart only by `billing_type:
 * "refund"`. Nothing documents the sign; a positive amount is the strict choice: a client that sums `price`
 * without reading `billing_type` counts every refund as more spending, and a test shows it.
 */
export type BillingType = 'charge' | 'refund';

export const BILLING_TYPES: readonly BillingType[] = ['charge', 'refund'];

interface BillingItem {
  uuid: string;
  type: BillingType;
  cents: number;
  atMs: number;
  prediction: Prediction;
}

export interface BillingQuery {
  page: number;
  pageSize: number;
  type?: string;
  model?: string;
  startMs: number;
  endMs?: number;
}

export class BillingLog {
  readonly counts = { charges: 0, refunds: 0, searches: 0 };
  /** In the order written; times never go back (clamped like `created_at`), so this is also time order. */
  private readonly items: BillingItem[] = [];

  record(type: BillingType, prediction: Prediction, cents: number, atMs: number): void {
    const last = this.items[this.items.length - 1];
    this.items.push({ uuid: randomUUID(), type, cents, atMs: Math.max(atMs, last?.atMs ?? 0), prediction });
    if (type === 'charge') this.counts.charges++;
    else this.counts.refunds++;
  }

  /** Newest first, filtered, one page; `has_more` when a later page holds anything. */
  search(q: BillingQuery): { items: BillingItem[]; hasMore: boolean } {
    this.counts.searches++;
    const skip = (q.page - 1) * q.pageSize;
    const items: BillingItem[] = [];
    let matched = 0;
    for (let i = this.items.length - 1; i >= 0; i--) {
      const item = this.items[i];
      if (!item || item.atMs < q.startMs) break;
      if ((q.endMs !== undefined && item.atMs > q.endMs) || (q.type !== undefined && item.type !== q.type)) continue;
      if (q.model !== undefined && item.prediction.model !== q.model) continue;
      matched++;
      if (matched > skip + q.pageSize) return { items, hasMore: true };
      if (matched > skip) items.push(item);
    }
    return { items, hasMore: false };
  }
}

/** One item on the wire: `{uuid, billing_type, price (USD), created_at, prediction: {uuid, model_uuid, status}}`. */
export function wireBillingItem(item: BillingItem): Record<string, unknown> {
  const p = item.prediction;
  return {
    uuid: item.uuid,
    billing_type: item.type,
    price: usdNumber(item.cents),
    created_at: new Date(item.atMs).toISOString(),
    prediction: { uuid: p.id, model_uuid: p.model, status: p.status },
  };
}
