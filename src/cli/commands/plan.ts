import { closeSync, openSync, readSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { lockfilePath } from '../../lock/file.js';
import { writeFileAtomic } from '../../util/atomic-file.js';
import { looksLikeSavedPlan, planToJson } from '../../plan/saved-plan.js';
import { RenderError } from '../../errors.js';
import { planSpec } from '../../plan/plan-spec.js';
import type { Plan } from '../../plan/build.js';
import { quotesFailed, type PlanQuotes } from '../../plan/quotes.js';
import { formatPlanTable } from '../../report/plan-table.js';
import { displayPath } from '../../util/paths.js';
import { type CliIO, defineCommand } from '../command.js';
import { detailedExitCode, EXIT } from '../exit-codes.js';
import { readStateFor } from '../state.js';
import { paintFor } from '../../report/colour.js';
import { terminalWidth } from '../../report/output.js';
import { checkSelection, COMMON, endpointOf, maxCostOf, selectOf } from '../options.js';

export const planCommand = defineCommand({
  usage: 'render plan SPEC [--json] [--out PLAN] [--detailed-exitcode] [--diff] [--quote] [--only GLOB] [--max-cost USD] [--mock]',
  description: `
Each shot gets an action and a reason:
  create     never rendered                     replace    rendered, but its inputs changed (word diff shown)
  unchanged  rendered, output intact            resume     submitted before: poll it, never pay again
  retry      failed (refunded): render again    blocked    failed on its input: change it first
  restore    an earlier take with these inputs comes back for $0 (from .takes/, or downloaded again)
  regenerate the paid output was deleted on the server before it was downloaded: render again, at its cost
  (blocked also: a video only another machine downloaded, gone from the server; the reason names where it is)
Totals compare everything the lockfile says was spent plus this plan against budget.max_usd. With
RENDER_STATE_URL (or the spec's state: { url_env }), the state comes from that PostgreSQL database, and a
lockfile here that is not one of its snapshots is refused.
Costs come from render's price table, offline. --quote also asks the server (WAVESPEED_BASE_URL, or the
embedded one with --mock) its price for each distinct request shape, free, and shows it beside the table's;
\`render apply\` refuses to submit a shot the server prices above its planned cost.

Exit codes: 0 within budget, 1 (with --quote) a shot priced above its plan, or a quote the server failed to
give (one without the quote route is not a failure: the table's prices stand), 2 invalid spec or usage,
3 over budget; with --detailed-exitcode also 4 changes pending (an apply would do something),
5 nothing to apply but shots are blocked, 0 then meaning nothing to do.`,
  options: {
    json: COMMON.json,
    out: { type: 'string', value: 'PLAN', description: 'save the plan as JSON; `render apply PLAN` applies exactly it' },
    'detailed-exitcode': {
      type: 'boolean',
      description: 'exit 4 when the plan has changes, 5 when only blocked shots are left, 0 when there is nothing to do',
    },
    diff: { type: 'boolean', description: 'after the table, the full word diff of every changed prompt' },
    quote: { type: 'boolean', description: "ask the server its price for each request shape (free) and show it beside the table's" },
    only: COMMON.only,
    'max-cost': COMMON['max-cost'],
    mock: { type: 'boolean', description: 'plan against what was rendered on the embedded mock server' },
  },
  positionals: [1, 1],
  async run({ io, options, positionals }) {
    const { plan, shots } = planSpec(positionals[0]!, {
      endpoint: endpointOf(options.mock, io.env),
      maxRunCents: maxCostOf(options['max-cost']),
      select: selectOf(options.only),
      state: await readStateFor(positionals[0]!, io, 'plan'),
    });
    checkSelection(
      options.only,
      plan.shots.length,
      shots.map((s) => s.id),
    );
    const quotes = options.quote ? await quotePrices(io, plan, Boolean(options.mock)) : undefined;
    // Only for --out and --json: a plain plan prints the table (docs/ARCHITECTURE.md "Start-up").
    const json = options.out !== undefined || options.json ? planToJson(plan, quotes) : undefined;
    if (json && options.out !== undefined) {
      savePlan(options.out, `${JSON.stringify(json, null, 2)}\n`, [plan.specFile, lockfilePath(plan.specFile, plan.name)]);
      io.stderr.write(`plan saved to ${displayPath(options.out)}; apply it with: render apply ${options.out}\n`);
    }
    if (json && options.json) io.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
    else
      io.stdout.write(
        `${formatPlanTable(plan, { width: terminalWidth(io.stdout), diff: Boolean(options.diff), quotes, paint: paintFor(io.stdout, io.env) })}\n`,
      );
    if (plan.totals.overBudgetCents > 0) return EXIT.overBudget;
    if (quotes && quotesFailed(quotes)) return EXIT.failed;
    return options['detailed-exitcode']
      ? detailedExitCode(
          plan.shots.map((s) => s.action),
          plan.fetch.length > 0,
        )
      : EXIT.ok;
  },
});

/** `--quote`: the one network use of `plan`, loaded only when asked (a plain plan never loads the HTTP client). */
async function quotePrices(io: CliIO, plan: Plan, mock: boolean): Promise<PlanQuotes> {
  const { connect, requireKey } = await import('../server.js');
  const { createQuoter, quotePlan } = await import('../../apply/quotes.js');
  if (!mock) requireKey(io, 'plan --quote asks the server its prices');
  const conn = await connect(io, { mock });
  try {
    return await quotePlan(createQuoter(conn.client), plan);
  } finally {
    await conn.close();
  }
}

/**
 * `--out` writes a file the user named: never over a folder, the spec, its lockfile (the record of what was
 * paid) or any other file that is not a saved plan, and never leaving a temp file behind when it fails.
 */
function savePlan(out: string, text: string, protectedFiles: readonly string[]): void {
  const target = path.resolve(out);
  const shown = displayPath(target);
  let existing: ReturnType<typeof statSync> | undefined;
  try {
    existing = statSync(target);
  } catch {
    // a new file
  }
  if (existing?.isDirectory()) {
    throw new RenderError('USAGE', `--out ${shown} is a folder`, { hint: `name a file for the plan, e.g. ${path.join(shown, 'plan.json')}` });
  }
  if (existing) {
    const real = realpathSync(target);
    const hit = protectedFiles.find((f) => sameFile(f, real));
    const what = hit === undefined ? undefined : hit === protectedFiles[0] ? 'the spec itself' : 'the lockfile, the record of what was paid for';
    const other = !existing.isFile() ? 'it is not a regular file' : !looksLikeSavedPlan(head(target)) ? 'it is not a saved plan' : undefined;
    if (what || other) {
      throw new RenderError('USAGE', `refusing to write the plan over ${shown} (${what ?? other})`, {
        hint: 'name another file for --out, e.g. plan.json',
      });
    }
  }
  try {
    writeFileAtomic(target, text);
  } catch (err) {
    throw new RenderError('USAGE', `cannot write the plan to ${shown}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { cause: err });
  }
}

/** The first bytes of a file, enough to tell a saved plan (JSON) from anything else. */
function head(file: string): string {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return ''; // unreadable: not a plan we may replace
  }
  try {
    const buf = Buffer.alloc(256);
    return buf.subarray(0, readSync(fd, buf, 0, buf.length, 0)).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

function sameFile(a: string, realB: string): boolean {
  try {
    return realpathSync(a) === realB;
  } catch {
    return false;
  }
}
