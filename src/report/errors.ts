import { formatIssue, RenderError } from '../errors.js';
import { redactText } from '../util/redact.js';
import { NO_PAINT, type Paint } from './colour.js';

/** The cap on issues printed; the count of the rest is said, so a 10,000-error spec stays readable. */
const MAX_ISSUES = 200;

/**
 * The one place errors become text. A RenderError prints its message, its located issues, then a hint
 * saying what to do next; anything else is a bug and says so, without a stack unless RENDER_DEBUG is set.
 */
export function renderError(err: unknown, options: { debug?: boolean; secrets?: readonly string[]; paint?: Paint } = {}): string {
  const paint = options.paint ?? NO_PAINT;
  const lines: string[] = [];
  if (err instanceof RenderError) {
    lines.push(`${paint.fail('error:')} ${err.message}`);
    for (const issue of err.issues.slice(0, MAX_ISSUES)) lines.push(`  ${formatIssue(issue)}`);
    if (err.issues.length > MAX_ISSUES) lines.push(`  ... and ${err.issues.length - MAX_ISSUES} more`);
    if (err.hint) lines.push(`hint: ${err.hint}`);
    if (options.debug && err.cause) lines.push(`cause: ${describeCause(err.cause)}`);
  } else {
    const message = err instanceof Error ? err.message : String(err);
    lines.push(`${paint.fail('error:')} internal error: ${message}`);
    lines.push('hint: this is a bug in render; rerun with RENDER_DEBUG=1 and report the output');
    if (options.debug && err instanceof Error && err.stack) lines.push(err.stack);
  }
  return redactText(lines.join('\n'), options.secrets ?? []);
}

function describeCause(cause: unknown): string {
  if (cause instanceof Error) return `${cause.name}: ${cause.message}${cause.cause ? ` <- ${describeCause(cause.cause)}` : ''}`;
  return String(cause);
}
