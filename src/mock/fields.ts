import { HttpError } from './http-io.js';

/** Fields of JSON request bodies (list and billing searches); a bad one is a 400 naming it. */

export function intField(body: Record<string, unknown>, name: string, fallback: number | undefined, min: number, max: number): number {
  const v = body[name] ?? fallback;
  if (v === undefined) throw new HttpError(400, `${name} is required (an integer from ${min} to ${max})`);
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new HttpError(400, `${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(v)}`);
  }
  return v;
}

/** [guess] Times as ISO 8601 strings (documented) or Unix epoch numbers (seconds, or ms when ≥ 1e12). */
export function timeField(body: Record<string, unknown>, name: string): number | undefined {
  const v = body[name];
  if (v === undefined || v === null || v === '') return undefined;
  const ms = typeof v === 'number' ? (v < 1e12 ? v * 1000 : v) : typeof v === 'string' ? Date.parse(v) : NaN;
  if (!Number.isFinite(ms)) throw new HttpError(400, `${name} must be an ISO 8601 time, got ${JSON.stringify(v)}`);
  return ms;
}

export function stringField(body: Record<string, unknown>, name: string): string | undefined {
  const v = body[name];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw new HttpError(400, `${name} must be a string, got ${JSON.stringify(v)}`);
  return v;
}
