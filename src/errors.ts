/**
 * One error type for the whole tool. Throw sites never print: the CLI renders a RenderError in one place
 * (report/errors.ts) and maps its code to an exit code (cli/exit-codes.ts).
 */

/** A problem located in a spec (or another user file): rendered as `file:line:col path: message`. */
export interface Issue {
  file: string;
  line?: number;
  col?: number;
  /** Field path, rendered like `shots[2].duration`. */
  path?: string;
  message: string;
}

export type ErrorCode =
  // the user's input: exit 2
  | 'USAGE'
  | 'SPEC_INVALID'
  | 'FILE_NOT_FOUND'
  | 'FILE_UNREADABLE'
  | 'LOCKFILE_INVALID'
  | 'PLAN_INVALID'
  | 'PLAN_STALE'
  // money: exit 3
  | 'OVER_BUDGET'
  // a run that failed: exit 1
  | 'AUTH'
  | 'FORBIDDEN'
  | 'INSUFFICIENT_BALANCE'
  // the server quotes a shot above its planned cost: nothing submitted
  | 'PRICE_ABOVE_PLAN'
  | 'INVALID_INPUT'
  | 'NOT_FOUND'
  | 'RATE_LIMITED'
  | 'SERVER'
  | 'NETWORK'
  | 'TIMEOUT'
  | 'MODERATION'
  | 'TASK_FAILED'
  | 'UNKNOWN_OUTCOME'
  | 'BAD_RESPONSE'
  | 'DOWNLOAD_FAILED'
  | 'LOCKED'
  /** The state database (RENDER_STATE_URL) cannot be reached, refused the login, or timed out. */
  | 'STATE_UNAVAILABLE'
  | 'ABORTED'
  | 'RUN_FAILED'
  // render report / render cut: nothing to show yet, ffmpeg missing or failing: exit 1
  | 'NOTHING_RENDERED'
  | 'NO_FFMPEG'
  | 'FFMPEG_FAILED'
  | 'INTERNAL';

export interface RenderErrorOptions {
  hint?: string;
  cause?: unknown;
  issues?: Issue[];
  /** HTTP status of the response that caused it, when there was one. */
  status?: number;
  /** The remote API's own message, already redacted. */
  remoteMessage?: string;
  /** Task error code inside a failed prediction (1200 moderation, 1402 media URL, 5xxx server...). */
  taskCode?: number;
  /** Seconds the server asked us to wait (Retry-After). */
  retryAfterMs?: number;
}

export class RenderError extends Error {
  override readonly name = 'RenderError';
  readonly code: ErrorCode;
  readonly hint?: string;
  readonly issues: Issue[];
  readonly status?: number;
  readonly remoteMessage?: string;
  readonly taskCode?: number;
  readonly retryAfterMs?: number;

  constructor(code: ErrorCode, message: string, options: RenderErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.hint = options.hint;
    this.issues = options.issues ?? [];
    this.status = options.status;
    this.remoteMessage = options.remoteMessage;
    this.taskCode = options.taskCode;
    this.retryAfterMs = options.retryAfterMs;
  }
}

export function isRenderError(err: unknown, code?: ErrorCode): err is RenderError {
  return err instanceof RenderError && (code === undefined || err.code === code);
}

/** Render an issue as `file:line:col path: message` (the format docs/SPEC.md "Rules" pins). */
export function formatIssue(issue: Issue): string {
  const where = issue.line === undefined ? issue.file : `${issue.file}:${issue.line}:${issue.col ?? 1}`;
  return issue.path ? `${where} ${issue.path}: ${issue.message}` : `${where}: ${issue.message}`;
}
