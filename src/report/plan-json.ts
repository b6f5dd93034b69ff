import path from 'node:path';
import type { Plan } from '../plan/build.js';
import { usdNumber } from './format.js';

/** Version of the saved-plan format (`render plan --out`), checked when a plan is applied. */
export const PLAN_FORMAT = 1;

/** `plan --json` and `plan --out`: one JSON object, the shape SPEC.md names, plus what apply needs to check it. */
export function planToJson(plan: Plan): Record<string, unknown> {
  const specDir = path.dirname(plan.specFile);
  const rel = (abs: string) => path.relative(specDir, abs).split(path.sep).join('/');
  const t = plan.totals;
  return {
    format: PLAN_FORMAT,
    spec: plan.specFile,
    name: plan.name,
    model: plan.model,
    endpoint: plan.endpoint,
    output: plan.outputDir,
    shots: plan.shots.map((s) => ({
      id: s.id,
      action: s.action,
      reason: s.reason,
      duration: s.duration,
      cost_usd: usdNumber(s.costCents),
      cost_cents: s.costCents,
      fingerprint: s.fingerprint,
      take: s.take,
      request: s.request,
      images: s.images.map((i) => ({ field: i.field, path: rel(i.path), sha256: i.sha256, bytes: i.bytes })),
      output: rel(s.output),
    })),
    totals: {
      shots: t.shots,
      to_submit: t.toSubmit,
      cost_usd: usdNumber(t.costCents),
      spent_usd: usdNumber(t.spentCents),
      budget_usd: usdNumber(t.budgetCents),
      after_apply_usd: usdNumber(t.afterApplyCents),
      over_budget_usd: usdNumber(t.overBudgetCents),
      ...(t.maxRunCents === undefined ? {} : { max_cost_usd: usdNumber(t.maxRunCents) }),
      cost_cents: t.costCents,
      spent_cents: t.spentCents,
      budget_cents: t.budgetCents,
      after_apply_cents: t.afterApplyCents,
    },
  };
}
