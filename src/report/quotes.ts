import { usd } from '../money.js';
import type { PriceShape } from '../models.js';
import { isMissingRoute, type PlanQuotes, type Quote, type ShotQuote } from '../plan/quotes.js';
import { plural } from './format.js';

/** Live prices in words: the plan table's QUOTE column and notes, and apply's notes (docs/SPEC.md "Live prices"). */

export function shapeLabel(shape: PriceShape): string {
  return `${shape.inputs.duration} s${shape.inputs.sound ? ' with sound' : ''}`;
}

/** The QUOTE cell of a shot: the server's price, with how far it is from the plan's. */
export function quoteCell(q: ShotQuote | undefined): string {
  if (!q) return '';
  if (q.quotedCents === undefined) return 'n/a';
  const d = q.quotedCents - q.plannedCents;
  return d === 0 ? usd(q.quotedCents) : `${usd(q.quotedCents)} ${d > 0 ? '+' : '-'}${usd(Math.abs(d))}`;
}

function unavailableText(quote: Quote): string {
  if (quote.kind !== 'unavailable') return '';
  if (isMissingRoute(quote)) return `the server has no price quote (HTTP ${quote.status})`;
  return quote.message;
}

/**
 * What the quotes change, one line each: shots above the plan (apply refuses them), below it, and shapes that could
 * not be quoted. Nothing when every quote equals the plan. `above: false` leaves the first out (apply's error says it).
 */
export function quoteNotes(q: PlanQuotes, options: { above?: boolean } = {}): string[] {
  const lines: string[] = [];
  const diff = (shots: ShotQuote[]) => shots.reduce((n, s) => n + Math.abs((s.quotedCents ?? 0) - s.plannedCents), 0);
  if (q.above.length > 0 && options.above !== false) {
    lines.push(
      `PRICE ABOVE PLAN: the server quotes ${plural(q.above.length, 'shot')} ${usd(diff(q.above))} above the price table (${q.above
        .slice(0, 5)
        .map((s) => s.id)
        .join(', ')}${q.above.length > 5 ? ', ...' : ''}): \`render apply\` refuses to submit them`,
    );
  }
  if (q.below.length > 0) {
    lines.push(
      `price below plan: the server quotes ${plural(q.below.length, 'shot')} ${usd(diff(q.below))} below the price table; the plan's figures stay what is counted (\`render ledger\` shows what was charged)`,
    );
  }
  const missing = q.shapes.filter((s) => s.quote.kind === 'unavailable');
  if (missing.length > 0 && missing.every((s) => isMissingRoute(s.quote))) {
    lines.push(`not quoted: ${unavailableText(missing[0]!.quote)}; the price table's figures are used`);
  } else {
    for (const s of missing) {
      lines.push(`not quoted (${shapeLabel(s.shape)}, ${plural(s.shots.length, 'shot')}): ${unavailableText(s.quote)}; the price table's figures are used`);
    }
  }
  return lines;
}
