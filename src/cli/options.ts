import { RenderError } from '../errors.js';
import { DEFAULT_BASE_URL, endpointIdentity, MOCK_ENDPOINT, normalizeBaseUrl } from '../endpoint.js';
import { MAX_BUDGET_USD, parseUsd, USD_AMOUNT, USD_CAP } from '../money.js';
import { compileGlobs } from '../util/glob.js';
import { parseDuration } from '../util/duration.js';
import type { OptionTable } from './command.js';

/** Options shared by several commands, defined once. */
export const COMMON = {
  json: { type: 'boolean', description: 'print JSON on stdout instead of a table' },
  'max-cost': { type: 'string', value: 'USD', description: 'cap what this run may spend, e.g. 25 or 12.50' },
  mock: { type: 'boolean', description: 'use the embedded local WaveSpeed-compatible server (no real money)' },
  only: { type: 'string', value: 'GLOB', multiple: true, description: 'only shots whose id matches, e.g. "city-*" (repeatable, comma-separated)' },
  'poll-interval': {
    type: 'string',
    value: 'DURATION',
    description: 'shortest wait between two polls of a prediction, e.g. 500ms, 5s, 2m (default 5s; 200ms on --mock)',
  },
} as const satisfies OptionTable;

/** The names of the options of O whose value is a string: what the checked readers below accept. */
type StringOption<O> = { [K in keyof O]-?: NonNullable<O[K]> extends string ? K : never }[keyof O] & string;

/** The value of a string option, read by a name the compiler has checked against O. */
function stringValue<O extends object>(options: O, name: StringOption<O>): string | undefined {
  const text: unknown = options[name];
  return typeof text === 'string' ? text : undefined;
}

/** Which endpoint a plan is for: `mock`, or the base URL's origin (the lockfile records it per shot). */
export function endpointOf(mock: boolean | undefined, env: Record<string, string | undefined>): string {
  if (mock) return MOCK_ENDPOINT;
  return endpointIdentity(normalizeBaseUrl(baseUrlOf(env), [env.WAVESPEED_API_KEY]));
}

/**
 * WAVESPEED_BASE_URL, or the real API when it is not set. Set but empty is a mistake (a script's unset variable, an
 * `export WAVESPEED_BASE_URL=` meant to point at a local server), never a quiet switch to real money.
 */
export function baseUrlOf(env: Record<string, string | undefined>): string {
  const value = env.WAVESPEED_BASE_URL;
  if (value === undefined) return DEFAULT_BASE_URL;
  if (value.trim() === '') {
    throw new RenderError('USAGE', 'WAVESPEED_BASE_URL is set but empty', {
      hint: `unset it to use the real API (\`unset WAVESPEED_BASE_URL\`, ${DEFAULT_BASE_URL}), or give a server's URL, e.g. WAVESPEED_BASE_URL=http://127.0.0.1:8787`,
    });
  }
  return value.trim();
}

/** `--max-cost USD` in cents. */
export function maxCostOf(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const cents = parseUsd(text.replace(/^\$/, ''));
  if (cents === null) throw new RenderError('USAGE', `--max-cost must be ${USD_AMOUNT}, got ${JSON.stringify(text)}`);
  if (cents > MAX_BUDGET_USD * 100) throw new RenderError('USAGE', `--max-cost must be ${USD_CAP}, got ${JSON.stringify(text)}`);
  return cents;
}

/** `--only GLOB` (repeatable) as a predicate on shot ids. */
export function selectOf(only: readonly string[] | undefined): ((id: string) => boolean) | undefined {
  return only === undefined ? undefined : compileGlobs(only);
}

/** Past about 24.8 days a Node timer fires at once (clamped to 1 ms); a day is more than any wait render needs. */
const MAX_DURATION_MS = 24 * 3_600_000;

export function durationOption<O extends object>(options: O, name: StringOption<O>): number | undefined {
  const text = stringValue(options, name);
  if (text === undefined) return undefined;
  const ms = parseDuration(text);
  if (ms === null || ms <= 0) {
    throw new RenderError('USAGE', `--${name} must be a duration like 500ms, 5s or 2m, got ${JSON.stringify(text)}`);
  }
  if (ms > MAX_DURATION_MS) throw new RenderError('USAGE', `--${name} must be at most 24h, got ${JSON.stringify(text)}`);
  return ms;
}

export function intOption<O extends object>(options: O, name: StringOption<O>, min: number, max: number): number | undefined {
  const text = stringValue(options, name);
  if (text === undefined) return undefined;
  // Decimal digits only: Number() would also take "0x10", "1e3" and " 4 ".
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new RenderError('USAGE', `--${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(text)}`);
  }
  return n;
}

/** `--only` that matches no shot is almost always a typo: say so rather than plan nothing. */
export function checkSelection(only: readonly string[] | undefined, selected: number, ids: readonly string[]): void {
  if (only === undefined || selected > 0) return;
  const sample = ids.slice(0, 8).join(', ') + (ids.length > 8 ? ', ...' : '');
  throw new RenderError('USAGE', `--only ${only.join(', ')} matches no shot of the spec`, { hint: `shot ids: ${sample || 'none'}` });
}

/** A decimal number option within [min, max], e.g. `--poll-growth 1.5`. */
export function numberOption<O extends object>(options: O, name: StringOption<O>, min: number, max: number): number | undefined {
  const text = stringValue(options, name);
  if (text === undefined) return undefined;
  const n = /^\d+(\.\d+)?$/.test(text) ? Number(text) : NaN;
  if (!(n >= min && n <= max)) {
    throw new RenderError('USAGE', `--${name} must be a number from ${min} to ${max}, got ${JSON.stringify(text)}`);
  }
  return n;
}
