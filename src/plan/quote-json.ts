import { z } from 'zod';
import { moneyJson } from '../money.js';
import type { PlanQuotes, ShapeQuote } from './quotes.js';

/** The `plan --quote` parts of the saved-plan format (plan/saved-plan.ts): money as `{cents, usd}`, snake_case keys. */

export const MoneySchema = z.object({ cents: z.number().int(), usd: z.number() });

/** One distinct price shape of the shots to submit: its table price, the server's, and the verdict. */
export const QuoteShapeSchema = z.object({
  model: z.string(),
  duration: z.number().int(),
  sound: z.boolean(),
  shots: z.array(z.string()),
  table: MoneySchema,
  quoted: MoneySchema.nullable(),
  discounted: MoneySchema.nullable(),
  verdict: z.enum(['as_planned', 'above_plan', 'below_plan', 'unavailable']),
  reason: z.string().optional(),
});

/** A shot's `quoted` key: its price at the server, null when its shape could not be quoted; absent when not submitted. */
export function quotedOf(quotes: PlanQuotes | undefined, id: string): { quoted?: { cents: number; usd: number } | null } {
  const q = quotes?.shots.get(id);
  if (!q) return {};
  return { quoted: q.quotedCents === undefined ? null : moneyJson(q.quotedCents) };
}

export function shapeJson(s: ShapeQuote): z.infer<typeof QuoteShapeSchema> {
  const q = s.quote;
  const quoted = q.kind === 'quoted' ? q.priceCents : undefined;
  const verdict = quoted === undefined ? 'unavailable' : quoted > s.tableCents ? 'above_plan' : quoted < s.tableCents ? 'below_plan' : 'as_planned';
  return {
    model: s.shape.model,
    duration: s.shape.inputs.duration,
    sound: s.shape.inputs.sound,
    shots: s.shots,
    table: moneyJson(s.tableCents),
    quoted: quoted === undefined ? null : moneyJson(quoted),
    discounted: q.kind === 'quoted' && q.discountedCents !== undefined ? moneyJson(q.discountedCents) : null,
    verdict,
    ...(q.kind === 'unavailable' ? { reason: q.message } : {}),
  };
}

/** The totals' `plan --quote` keys. */
export function quoteTotalsJson(q: PlanQuotes) {
  return {
    quoted: moneyJson(q.quotedCents),
    quoted_difference: moneyJson(q.quotedCents - q.plannedQuotedCents),
    unquoted_shots: q.unquoted,
  };
}
