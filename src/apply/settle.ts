import type { Prediction, WaveSpeedClient } from '../provider/index.js';
import { canonicalJson } from '../util/canonical-json.js';

/** Pages of 100 looked at, at most, when settling one lost submit. */
const MAX_PAGES = 20;

export type Settlement =
  /** The prediction exists: adopt its id, never submit again. */
  | { kind: 'found'; prediction: Prediction }
  /** Every prediction of the window was listed with its input and none matches: it was never created. */
  | { kind: 'none' }
  /** The server's list does not show inputs, so we cannot tell: refuse to pay again without the user. */
  | { kind: 'unknowable'; reason: string };

export interface SettleQuery {
  model: string;
  /** The exact body that was (maybe) submitted, upload URLs included. */
  body: Record<string, unknown>;
  /** When the intent was written. */
  since: number;
  now: number;
  /** Prediction ids already claimed by other takes: never adopted twice. */
  claimed: ReadonlySet<string>;
  signal?: AbortSignal;
}

/**
 * docs/ARCHITECTURE.md "Money rules", rule 2: an intent without a prediction id is settled by listing predictions
 * (same model, a time window around the intent) and matching the input, before anything is paid again. That list
 * items carry their `input` is a [guess] about the real API (docs/ARCHITECTURE.md "API facts we rely on", "Known
 * gaps"); without it we cannot match safely, and say so instead of paying twice.
 */
export async function settleIntent(client: WaveSpeedClient, q: SettleQuery): Promise<Settlement> {
  const after = new Date(q.since - 5 * 60_000).toISOString();
  const before = new Date(q.now + 5 * 60_000).toISOString();
  const want = canonicalBody(q.body, Object.keys(q.body));
  let sawInput = false;
  let sawAny = false;
  for (let page = 1; page <= MAX_PAGES; page++) {
    const result = await client.listPredictions({ page, page_size: 100, model: q.model, created_after: after, created_before: before }, { signal: q.signal });
    for (const item of result.items) {
      sawAny = true;
      if (!item.input) continue;
      sawInput = true;
      if (q.claimed.has(item.id)) continue;
      if (canonicalBody(item.input, Object.keys(q.body)) === want) return { kind: 'found', prediction: item };
    }
    const total = result.total;
    if (result.items.length < 100 || (total !== undefined && page * 100 >= total)) {
      return sawAny && !sawInput ? { kind: 'unknowable', reason: 'the server lists predictions without their inputs' } : { kind: 'none' };
    }
  }
  return { kind: 'unknowable', reason: `more than ${MAX_PAGES * 100} predictions in the window` };
}

function canonicalBody(body: Record<string, unknown>, keys: string[]): string {
  return canonicalJson(Object.fromEntries(keys.map((k) => [k, body[k]])));
}
