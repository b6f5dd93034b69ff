import { createHash } from 'node:crypto';
import { canonicalJson } from '../util/canonical-json.js';
import type { BillingLog } from './billing.js';
import type { FaultInjector } from './faults.js';
import type { Prediction, PredictionStore } from './predictions.js';
import type { MockStats } from './types.js';

/**
 * The account's money, in integer cents: charged at submit (the server's price, see pricing.ts), refunded when a
 * task fails (docs/ARCHITECTURE.md "API facts we rely on"). Each movement is also a billing item (billing.ts).
 */
export class Ledger {
  chargesCents = 0;
  refundsCents = 0;

  constructor(public balanceCents: number) {}

  /** Charges `cents` if the balance covers it; false (and nothing moves) otherwise. */
  tryCharge(cents: number): boolean {
    if (cents > this.balanceCents) return false;
    this.balanceCents -= cents;
    this.chargesCents += cents;
    return true;
  }

  refund(cents: number): void {
    this.balanceCents += cents;
    this.refundsCents += cents;
  }
}

/** Request counters. Bodies are kept as sha256 digests: 32 bytes each, whatever the prompt length. */
export class MockCounters {
  submissions = 0;
  duplicateSubmissions = 0;
  uploads = 0;
  polls = 0;
  lists = 0;
  downloads = 0;
  /** Submits refused by the `submitsPerMinute` limit. */
  rateLimited = 0;
  /** The predictions created for each body, by digest. */
  private readonly bodies = new Map<string, Prediction[]>();
  private readonly ignoredKeys = new Set<string>();

  /**
   * Counts an accepted submit, once its prediction `p` exists; the model is part of the identity (same body, other
   * model = other request). It pays twice when an earlier prediction of the same body stands (in flight or
   * completed). One that failed was refunded, and a new prediction is the documented cure for a 5xxx failure
   * (docs/ARCHITECTURE.md "API facts we rely on"), so resubmitting its body is not paying twice. A URL of this
   * server's own uploads counts by the bytes it holds (`contentId`): a client that lost its upload cache uploads the
   * same image again and gets a new URL, and a task made of it is still the same request paid twice.
   */
  recordSubmit(model: string, body: Record<string, unknown>, ignoredKeys: string[], p: Prediction, contentId: (url: string) => string | undefined): void {
    this.submissions++;
    const identity = canonicalJson(withContentIds(body, contentId));
    const digest = createHash('sha256').update(model).update('\n').update(identity).digest('base64');
    const earlier = this.bodies.get(digest);
    if (earlier?.some((e) => e !== p && e.status !== 'failed')) this.duplicateSubmissions++;
    if (earlier) earlier.push(p);
    else this.bodies.set(digest, [p]);
    for (const key of ignoredKeys) this.ignoredKeys.add(key);
  }

  snapshot(ledger: Ledger, store: PredictionStore, faults: FaultInjector, billing: BillingLog, animatics: number): MockStats {
    return {
      submissions: this.submissions,
      distinctBodies: this.bodies.size,
      duplicateSubmissions: this.duplicateSubmissions,
      chargesCents: ledger.chargesCents,
      refundsCents: ledger.refundsCents,
      balanceCents: ledger.balanceCents,
      uploads: this.uploads,
      polls: this.polls,
      lists: this.lists,
      downloads: this.downloads,
      faults: { ...faults.counts },
      ignoredKeys: [...this.ignoredKeys].sort(),
      rateLimited: this.rateLimited,
      refundsPendingCents: store.refundsPendingCents,
      billing: { ...billing.counts },
      predictions: { ...store.counts },
      peakRunning: store.peakRunning,
      animatics,
    };
  }
}

/** `value` with every string that is a URL of this server's uploads replaced by its content id. */
function withContentIds(value: unknown, contentId: (url: string) => string | undefined): unknown {
  if (typeof value === 'string') return contentId(value) ?? value;
  if (Array.isArray(value)) return value.map((v) => withContentIds(v, contentId));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withContentIds(v, contentId)]));
  }
  return value;
}
