import { RenderError, type ErrorCode } from '../errors.js';

/** The CLI contract's exit codes (docs/SPEC.md "Commands and exit codes"; docs/ARCHITECTURE.md "Errors"). */
export const EXIT = {
  ok: 0,
  failed: 1,
  invalid: 2,
  overBudget: 3,
  changesPending: 4,
  blocked: 5,
} as const;

/** The one table of exit codes: `render --help` prints it, docs/SPEC.md "Exit codes" says the same. */
const EXIT_TABLE: readonly (readonly [number, string])[] = [
  [EXIT.ok, 'success: everything asked for is done, or there was nothing to do'],
  [
    EXIT.failed,
    'a run failed: shots failed or were skipped, interrupted, declined at the prompt, the server unreachable or refusing, a price above the plan (apply, plan --quote); doctor found a problem',
  ],
  [EXIT.invalid, 'invalid input or environment: the spec, a saved plan, the lockfile, a flag, WAVESPEED_BASE_URL, a port in use'],
  [EXIT.overBudget, 'over budget (budget.max_usd or --max-cost): nothing was submitted'],
  [
    EXIT.changesPending,
    'changes pending (plan and status with --detailed-exitcode): shots to render, resume or restore, paid takes to fetch, outputs missing or changed',
  ],
  [
    EXIT.blocked,
    'shots blocked: they failed on their input and only a change to the spec renders them (apply; plan and status with --detailed-exitcode when nothing else is pending)',
  ],
];

/** The exit-code table as `--help` shows it. */
export function formatExitCodes(indent = '  '): string[] {
  return EXIT_TABLE.map(([code, text]) => `${indent}${code}  ${text}`);
}

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

/**
 * `--detailed-exitcode` of `plan` and `status`: 4 when an apply would do something (render, resume, restore; a
 * missing or changed output plans one of these; `otherWork`: paid takes to fetch), else 5 when shots are blocked, else 0.
 */
export function detailedExitCode(actions: readonly (string | undefined)[], otherWork = false): number {
  if (otherWork || actions.some((a) => a !== undefined && a !== 'unchanged' && a !== 'blocked')) return EXIT.changesPending;
  return actions.includes('blocked') ? EXIT.blocked : EXIT.ok;
}
