import { RenderError, type ErrorCode } from '../errors.js';

/** The CLI contract's exit codes (docs/SPEC.md "Commands and exit codes"; docs/ARCHITECTURE.md "Errors"). */
export const EXIT = {
  ok: 0,
  failed: 1,
  invalid: 2,
  overBudget: 3,
  changesPending: 4,
} as const;

const INVALID: ReadonlySet<ErrorCode> = new Set([
  'USAGE',
  'SPEC_INVALID',
  'FILE_NOT_FOUND',
  'FILE_UNREADABLE',
  'LOCKFILE_INVALID',
  'PLAN_INVALID',
  'PLAN_STALE',
]);

export function exitCodeFor(err: unknown): number {
  if (!(err instanceof RenderError)) return EXIT.failed;
  if (INVALID.has(err.code)) return EXIT.invalid;
  if (err.code === 'OVER_BUDGET') return EXIT.overBudget;
  return EXIT.failed;
}
