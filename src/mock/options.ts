/** Checks of the server's options, used by server.ts resolveMockOptions (throw RenderError USAGE). */
import { RenderError } from '../errors.js';
import type { MockServerOptions, RenderTime } from './types.js';

export function usage(message: string): RenderError {
  return new RenderError('USAGE', `mock server: ${message}`);
}

function isNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

export function nonNegative(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (!isNumber(v) || v < 0) throw usage(`${name} must be a number ≥ 0, got ${String(value)}`);
  return v;
}

export function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (v !== Infinity && (!Number.isInteger(v) || v < 1)) throw usage(`${name} must be an integer ≥ 1, got ${String(value)}`);
  return v;
}

export function factor(name: string, value: number | undefined, max: number): number {
  const v = value ?? 1;
  if (!isNumber(v) || v <= 0 || v > max) throw usage(`${name} must be a number above 0 and at most ${max}, got ${String(value)}`);
  return v;
}

export function resolveRenderTime(value: RenderTime | undefined): Required<RenderTime> | null {
  if (value === undefined) return null;
  if (typeof value !== 'object' || value === null) throw usage('renderTime must be {baseMs, perSecondMs, jitter?}');
  const jitter = value.jitter ?? 0;
  if (!isNumber(jitter) || jitter < 0 || jitter >= 1) throw usage(`renderTime.jitter must be a fraction from 0 to below 1, got ${String(value.jitter)}`);
  return {
    baseMs: nonNegative('renderTime.baseMs', value.baseMs, NaN),
    perSecondMs: nonNegative('renderTime.perSecondMs', value.perSecondMs, NaN),
    jitter,
  };
}

/** How list and result items show the submitted body. */
export interface InputView {
  key: 'input' | 'inputs';
  storeMediaUrls: boolean;
}

/** What `listInputs`, `inputKey` and `storeMediaUrls` add up to; null = inputs are never shown (docs mode). */
export function resolveInputView(o: MockServerOptions): InputView | null {
  const key = o.inputKey ?? 'input';
  if (key !== 'input' && key !== 'inputs') throw usage(`inputKey must be "input" or "inputs", got ${JSON.stringify(o.inputKey)}`);
  if (o.listInputs !== true) {
    // Asked for a way of showing inputs that would never show: say so rather than silently ignore it.
    if (o.inputKey !== undefined || o.storeMediaUrls === true) throw usage('inputKey and storeMediaUrls need listInputs');
    return null;
  }
  return { key, storeMediaUrls: o.storeMediaUrls === true };
}
