import { writeFileAtomic } from '../../apply/lockfile.js';
import { planSpec } from '../../plan/plan-spec.js';
import { planToJson } from '../../report/plan-json.js';
import { formatPlanTable } from '../../report/plan-table.js';
import { displayPath } from '../../util/paths.js';
import type { Command } from '../command.js';
import { EXIT } from '../exit-codes.js';
import { COMMON, endpointOf, maxCostOf, selectOf } from '../options.js';

export const planCommand: Command = {
  name: 'plan',
  summary: 'Show what an apply would render and spend, shot by shot, to the cent; no network',
  usage: 'render plan SPEC [--json] [--out PLAN] [--detailed-exitcode] [--only GLOB] [--max-cost USD] [--mock]',
  description: `
Each shot gets an action and a reason:
  create     never rendered                     replace    rendered, but its inputs changed
  unchanged  rendered, output intact            resume     submitted before: poll it, never pay again
  retry      failed (refunded): render again    blocked    failed on its input: change it first
Totals compare everything the lockfile says was spent plus this plan against budget.max_usd.

Exit codes: 0 within budget, 2 invalid spec or usage, 3 over budget,
4 changes pending (only with --detailed-exitcode; 0 then means nothing to do).`,
  options: {
    json: COMMON.json,
    out: { type: 'string', value: 'PLAN', description: 'save the plan as JSON; `render apply PLAN` applies exactly it' },
    'detailed-exitcode': { type: 'boolean', description: 'exit 4 when the plan has changes, 0 when there is nothing to do' },
    only: COMMON.only,
    'max-cost': COMMON['max-cost'],
    mock: { type: 'boolean', description: 'plan against what was rendered on the embedded mock server' },
  },
  positionals: [1, 1],
  async run({ io, values, positionals }) {
    const { plan } = planSpec(positionals[0]!, {
      endpoint: endpointOf(values, io.env),
      maxRunCents: maxCostOf(values),
      select: selectOf(values),
    });
    const json = planToJson(plan);
    if (typeof values.out === 'string') {
      writeFileAtomic(values.out, `${JSON.stringify(json, null, 2)}\n`);
      io.stderr.write(`plan saved to ${displayPath(values.out)}; apply it with: render apply ${values.out}\n`);
    }
    if (values.json) io.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
    else io.stdout.write(`${formatPlanTable(plan, io.stdout.columns ?? 120)}\n`);
    if (plan.totals.overBudgetCents > 0) return EXIT.overBudget;
    const changes = plan.shots.some((s) => s.action !== 'unchanged' && s.action !== 'blocked');
    return values['detailed-exitcode'] && changes ? EXIT.changesPending : EXIT.ok;
  },
};
