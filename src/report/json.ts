import type { ApplyEvent } from '../apply/events.js';
import type { RenderError } from '../errors.js';
import { usdNumber } from '../money.js';
import { redactText } from '../util/redact.js';

/**
 * The one JSON convention of every `--json` output and event (docs/SPEC.md "JSON output"): keys in snake_case, as
 * the lockfile and `plan --json` write them, and every amount of money twice, in integer cents (`x_cents`) and in
 * dollars (`x_usd`). Inside the code, data stays camelCase (apply/events.ts); it is mapped here, at the edge,
 * and nowhere else. Each shape has a JSON Schema in schema/ (report/json-schemas.ts).
 */
function toJsonShape(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toJsonShape);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (v === undefined) continue;
    const snake = snakeCase(key);
    out[snake] = toJsonShape(v);
    if (snake.endsWith('_cents') && typeof v === 'number') out[`${snake.slice(0, -'_cents'.length)}_usd`] = usdNumber(v);
  }
  return out;
}

function snakeCase(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** One line of `render apply --json`: the event in the JSON convention, with the time it was reported. */
export function eventLine(e: ApplyEvent | { type: 'plan'; plan: unknown }, at: Date): string {
  // The plan is already in the convention (plan/saved-plan.ts planToJson, the saved-plan format).
  const shaped = e.type === 'plan' ? e : (toJsonShape(e) as Record<string, unknown>);
  return JSON.stringify({ ...shaped, at: at.toISOString() });
}

/** A RenderError as JSON (`validate --json` of an invalid spec): its code, message, hint and every located issue. */
export function errorToJson(err: RenderError, secrets: readonly string[] = []): Record<string, unknown> {
  const clean = (t: string) => redactText(t, secrets);
  return {
    code: err.code,
    message: clean(err.message),
    hint: err.hint === undefined ? null : clean(err.hint),
    issues: err.issues.map((i) => ({ file: i.file, line: i.line ?? null, col: i.col ?? null, path: i.path ?? null, message: clean(i.message) })),
  };
}
