/**
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
