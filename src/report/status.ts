import { describeEndpoint } from '../endpoint.js';
import { usd, usdNumber } from '../money.js';
import type { LockTake } from '../lock/schema.js';
import type { ShotStatus, StatusReport } from '../plan/status.js';
import { displayPath } from '../util/paths.js';
import { table, truncate } from './format.js';

/** What a take cost, or that it was refunded (a failed task), or never created (forgotten). */
function costText(take: LockTake | undefined): string {
  if (!take) return '—';
  if (take.status === 'failed') return `${usd(0)} (${usd(take.cost_cents)} refunded)`;
  if (take.status === 'forgotten') return `${usd(0)} (forgotten)`;
  return usd(take.cost_cents);
}

function takeText(s: ShotStatus): string {
  const t = s.current;
  if (!t) return s.open.length > 0 ? `#${s.open.at(-1)!.n} submit unknown` : 'not rendered';
  return `#${t.n} ${t.status}`;
}

function noteOf(s: ShotStatus): string {
  const notes: string[] = [];
  if (!s.inSpec) notes.push('not in the spec any more');
  for (const t of s.open) notes.push(`take #${t.n}: submit outcome unknown, counted as spent: \`render adopt\` or \`render forget\``);
  const e = s.current?.error;
  if (e) notes.push(`${e.task_code ?? e.code}: ${e.message}`);
  const earlier = (s.entry?.takes.length ?? 0) - (s.current ? 1 : 0) - s.open.length;
  if (earlier > 0) notes.push(`${earlier} earlier take${earlier === 1 ? '' : 's'} (render takes)`);
  return notes.join('; ');
}

/** The status table: per shot, what plan would do now, the current take, duration, cost, output. */
export function formatStatus(r: StatusReport, options: { wide?: boolean; width?: number } = {}): string {
  const header = ['SHOT', 'PLAN', 'TAKE', 'DUR', 'COST', 'OUTPUT', 'PREDICTION', 'NOTE'];
  if (options.wide) header.push('PROMPT');
  const rows = [header];
  for (const s of r.shots) {
    const row = [
      s.id,
      s.action ?? '—',
      takeText(s),
      s.duration !== undefined ? `${s.duration}s` : '—',
      costText(s.current),
      s.output === 'none' ? '—' : s.output,
      s.current?.prediction_id ?? '—',
      noteOf(s),
    ];
    if (options.wide) row.push(s.prompt ?? '');
    rows.push(row);
  }
  const spent = Object.entries(r.spentByEndpoint).map(([ep, c]) => `${usd(c)} on ${describeEndpoint(ep)}`);
  return [
    `Status of ${r.name} (${displayPath(r.specFile)}) on ${describeEndpoint(r.endpoint)}${r.verified ? ', outputs checked by sha256' : ''}`,
    '',
    ...table(rows).map((l) => `  ${options.width ? truncate(l, options.width) : l}`),
    '',
    `Spent: ${spent.join(', ') || '$0.00'}`,
  ].join('\n');
}

export function statusToJson(r: StatusReport): Record<string, unknown> {
  const spent = Object.fromEntries(Object.entries(r.spentByEndpoint).map(([ep, c]) => [ep, { cents: c, usd: usdNumber(c) }]));
  return {
    spec: r.specFile,
    name: r.name,
    endpoint: r.endpoint,
    verified: r.verified,
    spent,
    shots: r.shots.map((s) => ({
      id: s.id,
      in_spec: s.inSpec,
      action: s.action ?? null,
      reason: s.reason ?? null,
      duration: s.duration ?? null,
      status: s.current?.status ?? (s.open.length > 0 ? 'unknown' : 'not_rendered'),
      take: s.current?.n ?? null,
      takes: s.entry?.takes.length ?? 0,
      prediction_id: s.current?.prediction_id ?? null,
      cost_cents: s.current && s.current.status !== 'failed' && s.current.status !== 'forgotten' ? s.current.cost_cents : 0,
      cost_usd: usdNumber(s.current && s.current.status !== 'failed' && s.current.status !== 'forgotten' ? s.current.cost_cents : 0),
      refunded_cents: s.current?.status === 'failed' ? s.current.cost_cents : 0,
      output: s.output,
      output_path: s.outputPath ?? null,
      fingerprint: s.current?.fingerprint ?? null,
      error: s.current?.error ?? null,
      unknown: s.open.map((t) => ({ take: t.n, since: t.submitted_at, cost_cents: t.cost_cents })),
      prompt: s.prompt ?? null,
    })),
  };
}
