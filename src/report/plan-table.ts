import path from 'node:path';
import { MODELS } from '../models.js';
import type { Plan, PlannedShot } from '../plan/build.js';
import { describeChanges, type Action } from '../plan/diff.js';
import { wordDiff } from './prompt-diff.js';
import { displayPath } from '../util/paths.js';
import { usd } from '../money.js';
import { plural, table, truncate } from './format.js';
import { describeEndpoint } from '../endpoint.js';
import type { PlanQuotes } from '../plan/quotes.js';
import { quoteCell, quoteNotes } from './quotes.js';

const SYMBOL: Record<Action, string> = { create: '+', replace: '~', retry: '↻', resume: '>', unchanged: '=', blocked: '!', restore: '<', regenerate: '~' };

/** The plan as a producer would show it to a client: one row per shot, then totals and the budget line. */
/**
 * The plan as a producer would show it to a client: one row per shot, then totals and the budget line. With
 * `quotes` (`plan --quote`), the server's price of each shot beside the table's, and what differs called out.
 */
export function formatPlanTable(plan: Plan, width = 120, options: { diff?: boolean; quotes?: PlanQuotes } = {}): string {
  const lines: string[] = [];
  const q = options.quotes;
  lines.push(`Plan for ${plan.name} (${displayPath(plan.specFile)}): ${plan.model} on ${describeEndpoint(plan.endpoint)}`);
  lines.push('');
  const rows = [['', 'SHOT', 'ACTION', 'DUR', 'COST', ...(q ? ['QUOTE'] : []), 'PROMPT / REASON']];
  const fixed = Math.max(...plan.shots.map((s) => s.id.length), 4) + 36 + (q ? 14 : 0);
  const room = Math.max(30, width - fixed);
  for (const shot of plan.shots) {
    const cost = shot.costCents ? usd(shot.costCents) : '—';
    rows.push([SYMBOL[shot.action], shot.id, shot.action, `${shot.duration}s`, cost, ...(q ? [quoteCell(q.shots.get(shot.id))] : []), detail(shot, room)]);
  }
  lines.push(...table(rows, ['l', 'l', 'l', 'r', 'r', ...(q ? ['r' as const] : []), 'l']).map((l) => `  ${l}`));
  if (options.diff) lines.push(...fullDiffs(plan));
  if (plan.fetch.length > 0) lines.push('', ...fetchLines(plan));
  lines.push('');
  lines.push(...formatTotals(plan, q));
  if (q) for (const note of quoteNotes(q)) lines.push('', note);
  for (const w of plan.warnings) lines.push('', `warning: ${w}`);
  return lines.join('\n');
}

/** Paid takes never downloaded: apply fetches them into .takes/ for $0, before the server deletes them. */
function fetchLines(plan: Plan): string[] {
  const shown = plan.fetch.slice(0, 20).map((f) => `${f.id} take #${f.takeN} (${f.status})`);
  const more = plan.fetch.length > shown.length ? `, and ${plan.fetch.length - shown.length} more` : '';
  return [`  ↓ ${plural(plan.fetch.length, 'paid take')} never downloaded: ${shown.join(', ')}${more}; apply downloads them into .takes/ ($0)`];
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

function formatTotals(plan: Plan, q?: PlanQuotes): string[] {
  const t = plan.totals;
  const counts = new Map<Action, number>();
  for (const s of plan.shots) counts.set(s.action, (counts.get(s.action) ?? 0) + 1);
  const parts = [...counts].map(([action, n]) => `${n} ${action === 'unchanged' || action === 'blocked' ? action : `to ${action}`}`);
  const seconds = plan.shots.reduce((n, s) => n + (s.costCents ? s.duration : 0), 0);
  const rate = MODELS[plan.model]?.centsPerSecond ?? 0;
  const lines = [
    `${plural(t.shots, 'shot')}: ${parts.join(', ') || 'none'}; ${seconds} s of new video at ${usd(rate)}/s`,
    `  this apply     ${usd(t.costCents).padStart(12)}`,
    ...(q ? [`  quoted         ${usd(q.quotedCents).padStart(12)}   ${quotedNote(q)}`] : []),
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

/** How the server's total compares with the plan's, for the shots it quoted. */
function quotedNote(q: PlanQuotes): string {
  const d = q.quotedCents - q.plannedQuotedCents;
  const which = q.unquoted > 0 ? ` (${plural(q.unquoted, 'shot')} not quoted)` : '';
  if (d === 0) return `the server's price, as planned${which}`;
  return `the server's price: ${usd(Math.abs(d))} ${d > 0 ? 'ABOVE' : 'below'} the plan${which}`;
}

function budgetNote(plan: Plan): string {
  const left = plan.totals.budgetCents - plan.totals.afterApplyCents;
  return left >= 0 ? `${usd(left)} left` : `${usd(-left)} over`;
}
