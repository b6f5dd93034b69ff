import { RenderError } from '../errors.js';
import { usd } from '../money.js';
import type { PriceShape } from '../models.js';
import type { Plan } from '../plan/build.js';
import { comparePlanQuotes, priceShapes, submittingShots, type PlanQuotes, type Quote } from '../plan/quotes.js';
import type { WaveSpeedClient } from '../provider/index.js';

/**
 * Asking the server its price (`POST /api/v3/model/price`, free; docs/ARCHITECTURE.md "API facts we rely on"), once
 * per distinct price shape in a run. A quote that cannot be had never stops anything by itself: a server without
 * the route (404), one that refuses the quote's shape (400, our inputs are a [guess]) or one that fails leaves the
 * price table in charge, and the caller says so. A key the server refuses does stop: every other call would fail.
 */

/** A price per shape, asked at most once per shape for the life of the returned function (one run). */
export function createQuoter(client: WaveSpeedClient, signal?: AbortSignal): (shape: PriceShape) => Promise<Quote> {
  const cache = new Map<string, Promise<Quote>>();
  return (shape) => {
    let quote = cache.get(shape.key);
    if (!quote) {
      quote = askQuote(client, shape, signal);
      cache.set(shape.key, quote);
    }
    return quote;
  };
}

async function askQuote(client: WaveSpeedClient, shape: PriceShape, signal?: AbortSignal): Promise<Quote> {
  try {
    const q = await client.priceCents(shape.model, shape.inputs, { signal });
    return { kind: 'quoted', priceCents: q.priceCents, ...(q.discountedCents === undefined ? {} : { discountedCents: q.discountedCents }) };
  } catch (err) {
    if (!(err instanceof RenderError) || err.code === 'AUTH' || err.code === 'FORBIDDEN' || err.code === 'ABORTED') throw err;
    return { kind: 'unavailable', code: err.code, ...(err.status === undefined ? {} : { status: err.status }), message: err.message };
  }
}

/** The quotes of every distinct shape, one after another (a campaign has a handful of shapes). */
async function fetchQuotes(quote: (shape: PriceShape) => Promise<Quote>, shapes: readonly PriceShape[]): Promise<Map<string, Quote>> {
  const quotes = new Map<string, Quote>();
  for (const shape of shapes) quotes.set(shape.key, await quote(shape));
  return quotes;
}

/** Quote the shapes of what `plan` submits and compare them with its costs. */
export async function quotePlan(quote: (shape: PriceShape) => Promise<Quote>, plan: Plan): Promise<PlanQuotes> {
  const shapes = priceShapes(plan.model, submittingShots(plan)).map((s) => s.shape);
  return comparePlanQuotes(plan, await fetchQuotes(quote, shapes));
}

/**
 * Money rule: never spend more than the plan said. Any shot the server prices above its planned cost stops the
 * whole apply before anything is uploaded or submitted (docs/SPEC.md "Live prices"): the user approved the plan's
 * figures, not the server's.
 */
export function refuseQuotesAbovePlan(q: PlanQuotes): void {
  if (q.above.length === 0) return;
  const over = q.above.reduce((n, s) => n + (s.quotedCents ?? 0) - s.plannedCents, 0);
  const shown = q.above
    .slice(0, 5)
    .map((s) => `${s.id} ${usd(s.quotedCents ?? 0)}, planned ${usd(s.plannedCents)} (+${usd((s.quotedCents ?? 0) - s.plannedCents)})`);
  const more = q.above.length > 5 ? `; and ${q.above.length - 5} more` : '';
  const n = q.above.length;
  throw new RenderError(
    'PRICE_ABOVE_PLAN',
    `the server quotes ${n} ${n === 1 ? 'shot' : 'shots'} above the plan, ${usd(over)} more in all: ${shown.join('; ')}${more}: nothing was submitted`,
    {
      hint: "prices changed since render's price table: `render plan --quote` shows every shot at the server's price; apply the others with --only, or update render",
    },
  );
}
