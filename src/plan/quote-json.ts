import { z } from 'zod';
import { moneyFields } from '../money.js';
import type { PlanQuotes, ShapeQuote } from './quotes.js';

/** The `plan --quote` parts of the saved-plan format (plan/saved-plan.ts), in the JSON convention (docs/SPEC.md "JSON output"). */

type MoneyKeys<N extends string> = `${N}_cents` | `${N}_usd`;

/**
 * The schema of an amount in JSON output, as `moneyFields` writes it: `<name>_cents` (integer) and `<name>_usd`,
 * described; `nullable` when there may be no amount (both keys null then).
 */
export function moneySchema<N extends string>(name: N, what: string): Record<MoneyKeys<N>, z.ZodNumber>;
export function moneySchema<N extends string>(name: N, what: string, nullable: true): Record<MoneyKeys<N>, z.ZodNullable<z.ZodNumber>>;
export function moneySchema<N extends string>(name: N, what: string, nullable = false): Record<MoneyKeys<N>, z.ZodType> {
  const cents = z.number().int();
  const usd = z.number();
  return {
    [`${name}_cents`]: (nullable ? cents.nullable() : cents).describe(`${what}, in integer cents`),
    [`${name}_usd`]: (nullable ? usd.nullable() : usd).describe(`${what}, in US dollars`),
  } as unknown as Record<MoneyKeys<N>, z.ZodType>;
}

/** The same, optional (keys absent unless with `plan --quote`). */
function optionalMoney<N extends string>(name: N, what: string, nullable = false) {
  const fields = nullable ? moneySchema(name, what, true) : moneySchema(name, what);
  return Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, (v as z.ZodType).optional()])) as Record<MoneyKeys<N>, z.ZodOptional<z.ZodType>>;
}

/**
 * The `plan --quote` schemas, built on first use: a zod schema costs start-up time to build (docs/ARCHITECTURE.md
 * "Start-up"), and a `render plan` that writes no JSON never needs one.
 */
function buildQuoteSchemas() {
  /** One distinct price shape of the shots to submit: its table price, the server's, and the verdict. */
  const shape = z.object({
    model: z.string(),
    duration: z.number().int().describe('seconds'),
    sound: z.boolean(),
    shots: z.array(z.string()).describe('the shots of this shape'),
    ...moneySchema('table', "render's price table, one shot"),
    ...moneySchema('quoted', "the server's price, one shot; null when it could not be had", true),
    ...moneySchema('discounted', "the server's discounted price, when it gives one", true),
    verdict: z.enum(['as_planned', 'above_plan', 'below_plan', 'unavailable']),
    reason: z.string().optional().describe('unavailable: why'),
  });
  /** A shot's `quoted_*` keys (saved-plan shots). */
  const shot = optionalMoney('quoted', "plan --quote: the server's price of a shot to submit; null when its shape could not be quoted", true);
  /** The totals' `plan --quote` keys. */
  const totals = {
    ...optionalMoney('quoted', "plan --quote: the quoted shots at the server's price"),
    ...optionalMoney('quoted_difference', 'plan --quote: that minus their planned cost'),
    unquoted_shots: z.number().int().optional().describe('plan --quote: shots whose shape could not be quoted'),
  };
  return { shape, shot, totals };
}

type QuoteSchemas = ReturnType<typeof buildQuoteSchemas>;
let quoteSchemas: QuoteSchemas | undefined;
export const getQuoteSchemas = (): QuoteSchemas => (quoteSchemas ??= buildQuoteSchemas());

/** A shot's `quoted_*` keys: its price at the server, null when its shape could not be quoted; absent when not submitted. */
export function quotedOf(quotes: PlanQuotes | undefined, id: string): Partial<Record<MoneyKeys<'quoted'>, number | null>> {
  const q = quotes?.shots.get(id);
  if (!q) return {};
  return moneyFields('quoted', q.quotedCents);
}

export function shapeJson(s: ShapeQuote): z.infer<QuoteSchemas['shape']> {
  const q = s.quote;
  const quoted = q.kind === 'quoted' ? q.priceCents : undefined;
  const verdict = quoted === undefined ? 'unavailable' : quoted > s.tableCents ? 'above_plan' : quoted < s.tableCents ? 'below_plan' : 'as_planned';
  return {
    model: s.shape.model,
    duration: s.shape.inputs.duration,
    sound: s.shape.inputs.sound,
    shots: s.shots,
    ...moneyFields('table', s.tableCents),
    ...moneyFields('quoted', quoted),
    ...moneyFields('discounted', q.kind === 'quoted' ? q.discountedCents : undefined),
    verdict,
    ...(q.kind === 'unavailable' ? { reason: q.message } : {}),
  };
}

/** The totals' `plan --quote` keys. */
export function quoteTotalsJson(q: PlanQuotes) {
  return {
    ...moneyFields('quoted', q.quotedCents),
    ...moneyFields('quoted_difference', q.quotedCents - q.plannedQuotedCents),
    unquoted_shots: q.unquoted,
  };
}
