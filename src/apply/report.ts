import { RenderError } from '../errors.js';
import type { RunContext } from './context.js';

/** A shot's failure as an event: what was being done, the error's message, and what to do next. */
export function fail(ctx: RunContext, id: string, err: unknown, what: string, hint?: string): void {
  const e = err instanceof RenderError ? err : undefined;
  ctx.emit({ type: 'failed', id, code: codeOf(err), message: `${what}: ${messageOf(err)}`, hint: hint ?? e?.hint });
}

export const codeOf = (err: unknown): string => (err instanceof RenderError ? err.code : 'INTERNAL');
export const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));
