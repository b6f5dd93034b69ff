/**
 * The API key must never reach an error message, hint, cause or log line (docs/ARCHITECTURE.md "Errors": secrets
 * redacted everywhere). Redaction is applied where errors are built and again at the client boundary, because a
 * remote message, a library error or a URL could echo the key back to us.
 */

export type Redactor = (text: string) => string;

export const REDACTED = '[REDACTED]';

// A key shorter than this is not worth hunting for: replacing "a" everywhere would mangle every message.
const MIN_SECRET_LENGTH = 4;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Replace every secret (and anything sent as a Bearer token) in `text`. */
export function redactText(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text.replace(/(Bearer\s+)[A-Za-z0-9._~+/=-]+/gi, `$1${REDACTED}`);
  for (const secret of secrets) {
    if (!secret || secret.length < MIN_SECRET_LENGTH) continue;
    out = out.replace(new RegExp(escapeRegExp(secret), 'g'), REDACTED);
    // A key can also travel URL-encoded (in a query string or a logged URL).
    const encoded = encodeURIComponent(secret);
    if (encoded !== secret) out = out.replace(new RegExp(escapeRegExp(encoded), 'g'), REDACTED);
  }
  return out;
}

export function createRedactor(secrets: readonly (string | undefined)[]): Redactor {
  const kept = secrets.filter((s): s is string => typeof s === 'string' && s.length >= MIN_SECRET_LENGTH);
  return (text) => redactText(text, kept);
}

/** Pick the string properties worth keeping from a library error (Node's `code`, `syscall`, `errno`). */
function copyErrorFields(from: Error, to: Error & Record<string, unknown>, redact: Redactor): void {
  const source = from as Error & Record<string, unknown>;
  for (const field of ['code', 'syscall', 'errno']) {
    const value = source[field];
    if (typeof value === 'string') to[field] = redact(value);
    else if (typeof value === 'number') to[field] = value;
  }
}

/**
 * A copy of `err` that is safe to attach as a cause: message and stack redacted, nested causes copied the same
 * way (to a small depth), and nothing else kept, so no request object or header bag can ride along.
 */
export function sanitizeCause(err: unknown, redact: Redactor, depth = 0): unknown {
  if (err === undefined || err === null) return undefined;
  if (!(err instanceof Error)) return redact(typeof err === 'string' ? err : safeString(err));
  const copy = new Error(redact(err.message)) as Error & Record<string, unknown>;
  copy.name = err.name;
  copy.stack = err.stack === undefined ? undefined : redact(err.stack);
  copyErrorFields(err, copy, redact);
  if (depth < 3 && err.cause !== undefined) {
    Object.defineProperty(copy, 'cause', {
      value: sanitizeCause(err.cause, redact, depth + 1),
      enumerable: false,
      writable: true,
      configurable: true,
    });
  }
  return copy;
}

function safeString(value: unknown): string {
  try {
    return typeof value === 'object' ? JSON.stringify(value) : String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}
