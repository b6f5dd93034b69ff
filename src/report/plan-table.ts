import path from 'node:path';
import { MODELS } from '../models.js';
import type { Plan, PlannedShot } from '../plan/build.js';
import { describeChanges, type Action } from '../plan/diff.js';
import { wordDiff } from './prompt-diff.js';
import { displayPath } from '../util/paths.js';
import { usd } from '../money.js';
import { plural, table, truncate } from './format.js';
import { describeEndpoint } from '../endpoint.js';
import { NO_PAINT, type Paint } from './colour.js';

const SYMBOL: Record<Action, string> = { create: '+', replace: '~', retry: '↻', resume: '>', unchanged: '=', blocked: '!', restore: '<', regenerate: '~' };

export interface PlanTableOptions {
  /** The terminal's width: long prompts and reasons are cut to fit. Undefined (not a terminal): nothing is cut. */
  width?: number;
  diff?: boolean;
  paint?: Paint;
}

/** The plan as a producer would show it to a client: one row per shot, then totals and the budget line. */
export function formatPlanTable(plan: Plan, options: PlanTableOptions = {}): string {
  const paint = options.paint ?? NO_PAINT;
  const lines: string[] = [];
  lines.push(`Plan for ${plan.name} (${displayPath(plan.specFile)}): ${plan.model} on ${describeEndpoint(plan.endpoint)}`);
  lines.push('');
  const rows = [['', 'SHOT', 'ACTION', 'DUR', 'COST', 'PROMPT / REASON']];
  const fixed = Math.max(...plan.shots.map((s) => s.id.length), 4) + 36;
  const room = options.width === undefined ? Infinity : Math.max(30, options.width - fixed);
  for (const shot of plan.shots) {
    rows.push([
      paint.action(shot.action, SYMBOL[shot.action]),
      shot.id,
      paint.action(shot.action),
      `${shot.duration}s`,
      shot.costCents ? paint.money(usd(shot.costCents)) : '—',
      detail(shot, room),
    ]);
  }
  lines.push(...table(rows, ['l', 'l', 'l', 'r', 'r', 'l']).map((l) => `  ${l}`));
  if (options.diff) lines.push(...fullDiffs(plan));
  lines.push('');
  lines.push(...formatTotals(plan, paint));
  for (const w of plan.warnings) lines.push('', `${paint.warn('warning:')} ${w}`);
  return lines.join('\n');
}

/** The text fields that changed, word by word: `prompt: a slow dolly [-in-]{+out+}`. */
function changeText(shot: PlannedShot, context?: number): string[] {
  const out: string[] = [];
  for (const c of shot.changes ?? []) {
    if (typeof c.before === 'string' && typeof c.after === 'string' && (c.field === 'prompt' || c.field === 'negative_prompt')) {
      out.push(`${c.field}: ${wordDiff(c.before, c.after, context)}`);
    } else if (c.field === 'multi_prompt' && Array.isArray(c.before) && Array.isArray(c.after)) {
      const a = c.before as { prompt?: unknown }[];
      const b = c.after as { prompt?: unknown }[];
      for (let i = 0; i < Math.max(a.length, b.length); i++) {
        const x = String(a[i]?.prompt ?? '');
        const y = String(b[i]?.prompt ?? '');
        if (x !== y) out.push(`multi_prompt[${i + 1}]: ${wordDiff(x, y, context)}`);
      }
    }
  }
  return out;
}

function fullDiffs(plan: Plan): string[] {
  const lines: string[] = [];
  for (const shot of plan.shots) {
    const text = changeText(shot);
    if (text.length === 0) continue;
    lines.push('', `${shot.id} (${shot.action}):`, ...text.map((t) => `  ${t}`));
  }
  return lines;
}

function detail(shot: PlannedShot, room: number): string {
  if (shot.action === 'create') return truncate(promptOf(shot), room);
  const words = changeText(shot, 3);
  if (words.length === 0) return truncate(shot.reason, room);
  const others = describeChanges((shot.changes ?? []).filter((c) => !/prompt/.test(c.field)));
  const failed = shot.action === 'retry' ? [shot.reason.split(';')[0]!] : [];
  return truncate([...failed, ...words, ...(others !== 'inputs changed' ? [others] : [])].join('; '), room);
}

function promptOf(shot: PlannedShot): string {
  const r = shot.request;
  if (r.prompt !== undefined) return r.prompt;
  return (r.multi_prompt ?? []).map((p, i) => `[${i + 1}: ${p.duration}s] ${p.prompt}`).join(' ');
}

function formatTotals(plan: Plan, paint: Paint): string[] {
  const t = plan.totals;
  const counts = new Map<Action, number>();
  for (const s of plan.shots) counts.set(s.action, (counts.get(s.action) ?? 0) + 1);
  const parts = [...counts].map(([action, n]) => `${n} ${action === 'unchanged' || action === 'blocked' ? action : `to ${action}`}`);
  const seconds = plan.shots.reduce((n, s) => n + (s.costCents ? s.duration : 0), 0);
  const rate = MODELS[plan.model]?.centsPerSecond ?? 0;
  const lines = [
    `${plural(t.shots, 'shot')}: ${parts.join(', ') || 'none'}; ${seconds} s of new video at ${usd(rate)}/s`,
    `  this apply     ${paint.money(usd(t.costCents).padStart(12))}`,
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
    lines.push(paint.fail(`OVER ${caps.filter(Boolean).join(' and ')}: nothing will be submitted.`));
    lines.push(`  raise budget.max_usd in ${path.basename(plan.specFile)}, raise --max-cost, or render fewer shots (--only GLOB)`);
  }
  return lines;
}

function budgetNote(plan: Plan): string {
  const left = plan.totals.budgetCents - plan.totals.afterApplyCents;
  return left >= 0 ? `${usd(left)} left` : `${usd(-left)} over`;
}
