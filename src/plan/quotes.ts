import { costCents, priceShapeOf, type PriceShape, type VideoRequest } from '../models.js';
import type { Plan } from './build.js';
import { SUBMITTING } from './diff.js';

/**
 * Live prices against the plan (docs/ARCHITECTURE.md "Money rules"; docs/SPEC.md "Commands and exit codes"): the
 * server's quote for each distinct price shape, compared with the price table the plan was costed with. Pure: the
 * quotes are fetched elsewhere (apply/quotes.ts) and handed in.
 */

/** A shape's quote, or why there is none (no quote route, a refused request, a server that failed). */
export type Quote = { kind: 'quoted'; priceCents: number; discountedCents?: number } | { kind: 'unavailable'; code: string; status?: number; message: string };

/** One price shape of a set of shots: its table price, its quote, and the shots that have it. */
export interface ShapeQuote {
  shape: PriceShape;
  tableCents: number;
  quote: Quote;
  shots: string[];
}

export interface ShotQuote {
  id: string;
  plannedCents: number;
  /** The server's price for this shot; undefined when its shape could not be quoted. */
  quotedCents?: number;
}

export interface PlanQuotes {
  /** Shapes of the shots this plan submits, shortest first. */
  shapes: ShapeQuote[];
  /** Per submitting shot, by id. */
  shots: Map<string, ShotQuote>;
  plannedCents: number;
  /** What the quoted shots would cost at the server's price. */
  quotedCents: number;
  /** What the same shots cost in the plan (so quoted − this is the difference, unquoted shots left out). */
  plannedQuotedCents: number;
  unquoted: number;
  /** Shots the server prices above the plan: apply refuses to submit them. */
  above: ShotQuote[];
  /** Shots the server prices below the plan. */
  below: ShotQuote[];
}

interface ShotLike {
  id: string;
  request: Pick<VideoRequest, 'duration' | 'sound'>;
}

/** The distinct price shapes of `shots`, each with the ids that have it, shortest first. */
export function priceShapes(model: string, shots: readonly ShotLike[]): { shape: PriceShape; tableCents: number; shots: string[] }[] {
  const byKey = new Map<string, { shape: PriceShape; tableCents: number; shots: string[] }>();
  for (const s of shots) {
    const shape = priceShapeOf(model, s.request);
    const entry = byKey.get(shape.key);
    if (entry) entry.shots.push(s.id);
    else byKey.set(shape.key, { shape, tableCents: costCents(model, shape.inputs.duration), shots: [s.id] });
  }
  return [...byKey.values()].sort(
    (a, b) =>
      a.shape.model.localeCompare(b.shape.model) ||
      a.shape.inputs.duration - b.shape.inputs.duration ||
      Number(a.shape.inputs.sound) - Number(b.shape.inputs.sound),
  );
}

/** The shots of a plan that would be submitted (and so paid for). */
export function submittingShots(plan: Plan): Plan['shots'] {
  return plan.shots.filter((s) => SUBMITTING.has(s.action));
}

/** Compare the quotes of the shapes of a plan's submitting shots with the plan's own cost per shot. */
export function comparePlanQuotes(plan: Plan, quotes: ReadonlyMap<string, Quote>): PlanQuotes {
  const submitting = submittingShots(plan);
  const shapes = priceShapes(plan.model, submitting).map((s) => ({ ...s, quote: quotes.get(s.shape.key) ?? missingQuote() }));
  const quoteOf = new Map(shapes.flatMap((s) => s.shots.map((id) => [id, s.quote] as const)));
  const result: PlanQuotes = { shapes, shots: new Map(), plannedCents: 0, quotedCents: 0, plannedQuotedCents: 0, unquoted: 0, above: [], below: [] };
  for (const s of submitting) {
    const quote = quoteOf.get(s.id);
    const q: ShotQuote = { id: s.id, plannedCents: s.costCents };
    result.plannedCents += s.costCents;
    if (quote?.kind === 'quoted') {
      q.quotedCents = quote.priceCents;
      result.quotedCents += quote.priceCents;
      result.plannedQuotedCents += s.costCents;
      if (quote.priceCents > s.costCents) result.above.push(q);
      else if (quote.priceCents < s.costCents) result.below.push(q);
    } else result.unquoted++;
    result.shots.set(s.id, q);
  }
  return result;
}

function missingQuote(): Quote {
  return { kind: 'unavailable', code: 'NOT_ASKED', message: 'not quoted' };
}

/** Whether a quote failed because the server has no such route (HTTP 404): a server without quotes. */
export function isMissingRoute(q: Quote): boolean {
  return q.kind === 'unavailable' && (q.status === 404 || q.status === 405);
}

/**
 * What `plan --quote` exits 1 for: a shot the server prices above its plan (apply would refuse it), or a quote the
 * server failed to give. A server without the quote route is not a failure: the table's prices stand.
 */
export function quotesFailed(q: PlanQuotes): boolean {
  return q.above.length > 0 || q.shapes.some((s) => s.quote.kind === 'unavailable' && !isMissingRoute(s.quote));
}
