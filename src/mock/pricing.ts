import type { ModelInfo } from '../models.js';

/**
 * The server's own prices, which need not be the local table's (docs/ARCHITECTURE.md "The local server"): the
 * table × `priceFactor`, rounded half-up to the cent. Charges (ledger, billing) use `price`; `discounted_price`
 * (× `discountFactor`) is only quoted. Integer cents throughout, and the factors are applied through their decimal
 * text, so 5 cents × 0.7 is 3.5 → 4 cents, not 3.4999… → 3.
 */
export interface Prices {
  priceFactor: number;
  discountFactor: number;
}

/** `factor` as an exact fraction of integers (its shortest decimal text). */
function fraction(factor: number): { num: bigint; den: bigint } {
  const text = /e/i.test(String(factor)) ? factor.toFixed(20) : String(factor);
  const [whole = '0', frac = ''] = text.split('.');
  return { num: BigInt(whole + frac), den: 10n ** BigInt(frac.length) };
}

/** cents × factor, rounded half-up (cents and factor are ≥ 0). */
export function scaleCents(cents: number, factor: number): number {
  if (factor === 1) return cents;
  const { num, den } = fraction(factor);
  const scaled = BigInt(cents) * num;
  return Number((scaled * 2n + den) / (den * 2n));
}

/** What a task of `durationSeconds` costs on this server, in cents: what is quoted as `price` and charged. */
export function priceCents(prices: Prices, model: ModelInfo, durationSeconds: number): number {
  return scaleCents(model.centsPerSecond * durationSeconds, prices.priceFactor);
}

/** The quote's `discounted_price`, in cents. */
export function discountedCents(prices: Prices, cents: number): number {
  return scaleCents(cents, prices.discountFactor);
}
