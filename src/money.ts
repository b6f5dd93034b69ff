/**
 * Money, in one place. Every amount inside render is integer cents (docs/ARCHITECTURE.md "Money rules"): never
 * floating-point dollars. This file turns dollars as users type them, as YAML and JSON carry them and as the API
 * sends them into cents, exactly, and cents back into the text and JSON numbers we print.
 */

/** Cents to a `12.34` string; never through floating-point dollars arithmetic. */
export function formatUsd(cents: number): string {
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

/** Cents to `$12.34`, and `-$12.34` (never `$-12.34`): a run whose refunds outweigh its charges spent less than nothing. */
export const usd = (cents: number): string => (cents < 0 ? `-$${formatUsd(-cents)}` : `$${formatUsd(cents)}`);

/** Cents to a JSON number of dollars with two decimals (`294` → `2.94`), exact for any cent amount. */
export const usdNumber = (cents: number): number => Number(formatUsd(cents));

/** An amount in JSON output: integer cents, and the same in dollars (`{cents: 294, usd: 2.94}`). */
export const moneyJson = (cents: number): { cents: number; usd: number } => ({ cents, usd: usdNumber(cents) });

/** A user-typed dollar amount (`60`, `59.5`, `0.42`) to integer cents, exactly; null when it is not one. */
export function parseUsd(text: string): number | null {
  const m = /^\s*(\d+)(?:\.(\d{1,2}))?\s*$/.exec(text);
  if (!m) return null;
  return Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'));
}

/** A dollar amount from YAML/JSON (a number) to integer cents; null when it has sub-cent precision. */
export function usdToCents(usd: number): number | null {
  if (!Number.isFinite(usd) || usd < 0) return null;
  return parseUsd(String(usd));
}

/*
 * USD amounts from the API (balance, price quotes) to integer cents, without float arithmetic: the number is read
 * through its decimal text, so 0.425 is 42.5 cents exactly (0.425 * 100 is 42.49999...). The API sends numbers;
 * a numeric string is accepted too, since nothing documents the type strictly [guess].
 */

export type CentsRounding = 'half-up' | 'floor';

const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?$/;

function decimalText(value: number | string): string | null {
  if (typeof value === 'string') return value.trim();
  if (!Number.isFinite(value)) return null;
  const text = String(value);
  // String() switches to exponent form below 1e-6 and from 1e21; toFixed(20) spells small numbers out.
  if (!/e/i.test(text)) return text;
  if (Math.abs(value) >= 1e21) return null;
  return value.toFixed(20);
}

/**
 * Convert a USD amount to integer cents. `half-up` rounds the magnitude half up (prices: 0.425 → 43);
 * `floor` rounds toward minus infinity (a balance: never claim money we do not have). Null when not a number.
 */
export function usdToCentsExact(value: number | string, rounding: CentsRounding): number | null {
  const text = decimalText(value);
  if (text === null) return null;
  const m = DECIMAL.exec(text);
  if (!m) return null;
  const [, sign = '', whole = '', frac = ''] = m;
  if (whole === '' && frac === '') return null;
  const negative = sign === '-';
  const digits = frac.padEnd(2, '0');
  let cents = Number(whole || '0') * 100 + Number(digits.slice(0, 2));
  const rest = digits.slice(2);
  const hasRest = /[1-9]/.test(rest);
  if (rounding === 'half-up' && rest !== '' && rest[0]! >= '5') cents += 1;
  if (rounding === 'floor' && negative && hasRest) cents += 1;
  if (!Number.isSafeInteger(cents)) return null;
  return negative && cents !== 0 ? -cents : cents;
}
