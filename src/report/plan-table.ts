import path from 'node:path';
import { MODELS } from '../models.js';
import type { Plan, PlannedShot } from '../plan/build.js';
import type { Action } from '../plan/diff.js';
import { displayPath } from '../util/paths.js';
import { usd } from '../money.js';
import { plural, table, truncate } from './format.js';
import { describeEndpoint } from '../endpoint.js';

const SYMBOL: Record<Action, string> = { create: '+', replace: '~', retry: '↻', resume: '>', unchanged: '=', blocked: '!' };

/** The plan as a producer would show it to a client: one row per shot, then totals and the budget line. */
export function formatPlanTable(plan: Plan, width = 120): string {
  const lines: string[] = [];
  lines.push(`Plan for ${plan.name} (${displayPath(plan.specFile)}): ${plan.model} on ${describeEndpoint(plan.endpoint)}`);
  lines.push('');
  const rows = [['', 'SHOT', 'ACTION', 'DUR', 'COST', 'PROMPT / REASON']];
  const fixed = Math.max(...plan.shots.map((s) => s.id.length), 4) + 36;
  const room = Math.max(30, width - fixed);
  for (const shot of plan.shots) {
    rows.push([SYMBOL[shot.action], shot.id, shot.action, `${shot.duration}s`, shot.costCents ? usd(shot.costCents) : '—', detail(shot, room)]);
  }
  lines.push(...table(rows, ['l', 'l', 'l', 'r', 'r', 'l']).map((l) => `  ${l}`));
  lines.push('');
  lines.push(...formatTotals(plan));
  return lines.join('\n');
}

function detail(shot: PlannedShot, room: number): string {
  if (shot.action === 'create') return truncate(promptOf(shot), room);
  return truncate(shot.reason, room);
}

function promptOf(shot: PlannedShot): string {
  const r = shot.request;
  if (r.prompt !== undefined) return r.prompt;
  return (r.multi_prompt ?? []).map((p, i) => `[${i + 1}: ${p.duration}s] ${p.prompt}`).join(' ');
}

function formatTotals(plan: Plan): string[] {
  const t = plan.totals;
  const counts = new Map<Action, number>();
  for (const s of plan.shots) counts.set(s.action, (counts.get(s.action) ?? 0) + 1);
  const parts = [...counts].map(([action, n]) => `${n} ${action === 'unchanged' || action === 'blocked' ? action : `to ${action}`}`);
  const seconds = plan.shots.reduce((n, s) => n + (s.costCents ? s.duration : 0), 0);
  const rate = MODELS[plan.model]?.centsPerSecond ?? 0;
  const lines = [
    `${plural(t.shots, 'shot')}: ${parts.join(', ') || 'none'}; ${seconds} s of new video at ${usd(rate)}/s`,
    `  this apply     ${usd(t.costCents).padStart(12)}`,
    `  spent before   ${usd(t.spentCents).padStart(12)}`,
    `  after apply    ${usd(t.afterApplyCents).padStart(12)}   of ${usd(t.budgetCents)} budget (${budgetNote(plan)})`,
  ];
  if (t.maxRunCents !== undefined) lines.push(`  --max-cost     ${usd(t.maxRunCents).padStart(12)}`);
  if (t.overBudgetCents > 0) {
    // Name the cap that is passed: the spec's budget, or this run's --max-cost (or both).
    const caps = [
      t.overSpecBudgetCents > 0 ? `BUDGET by ${usd(t.overSpecBudgetCents)}` : '',
      t.overMaxCostCents > 0 ? `--max-cost by ${usd(t.overMaxCostCents)}` : '',
    ];
    lines.push('');
    lines.push(`OVER ${caps.filter(Boolean).join(' and ')}: nothing will be submitted.`);
    lines.push(`  raise budget.max_usd in ${path.basename(plan.specFile)}, raise --max-cost, or render fewer shots (--only GLOB)`);
  }
  return lines;
}

function budgetNote(plan: Plan): string {
  const left = plan.totals.budgetCents - plan.totals.afterApplyCents;
  return left >= 0 ? `${usd(left)} left` : `${usd(-left)} over`;
}
