import { describeEndpoint } from '../endpoint.js';
import { usd, usdNumber } from '../money.js';
import type { LockTake } from '../lock/schema.js';
import { isSpent } from '../lock/takes.js';
import type { ShotStatus, StatusReport } from '../plan/status.js';
import { displayPath } from '../util/paths.js';
import { NO_PAINT, type Paint } from './colour.js';
import { plural, table, truncate } from './format.js';

/** What a take cost, or that it was refunded (a failed task), or never created (forgotten). */
function costText(take: LockTake | undefined, paint: Paint): string {
  if (!take) return '—';
  if (take.status === 'failed') return `${usd(0)} (${usd(take.cost_cents)} refunded)`;
  if (take.status === 'forgotten') return `${usd(0)} (forgotten)`;
  return paint.money(usd(take.cost_cents));
}

function takeText(s: ShotStatus, paint: Paint): string {
  const t = s.current;
  const of = (s.entry?.takes.length ?? 0) > 1 ? ` of ${s.entry!.takes.length}` : '';
  if (!t) return s.open.length > 0 ? paint.warn(`#${s.open.at(-1)!.n}${of} submit unknown`) : 'not rendered';
  const status = t.status === 'failed' ? paint.fail(t.status) : t.status;
  return `#${t.n}${of} ${status}`;
}

function outputText(s: ShotStatus, paint: Paint): string {
  if (s.output === 'none') return '—';
  return s.output === 'intact' ? s.output : paint.fail(s.output);
}

function noteOf(s: ShotStatus, paint: Paint): string {
  const notes: string[] = [];
  if (!s.inSpec) notes.push('not in the spec any more');
  for (const t of s.open) notes.push(paint.warn(`take #${t.n}: submit outcome unknown, counted as spent: \`render adopt\` or \`render forget\``));
  const e = s.current?.error;
  // The server's message often starts with its code (`1200: content moderation`): said once.
  if (e) notes.push(paint.fail(e.task_code === undefined ? `${e.code}: ${e.message}` : `${e.task_code} ${e.message.replace(/^\d+:?\s*/, '')}`));
  // Whether the shot still matches the spec, and why not: the plan's reason (its error and unknown submits said above).
  if (s.action !== undefined && s.action !== 'unchanged' && s.reason && !e && s.open.length === 0) notes.push(s.reason);
  const earlier = (s.entry?.takes.length ?? 0) - (s.current ? 1 : 0) - s.open.length;
  if (earlier > 0) notes.push(`${earlier} earlier take${earlier === 1 ? '' : 's'} (render takes)`);
  return notes.join('; ');
}

export interface StatusTableOptions {
  /** Each shot's prompt as sent, in full. */
  wide?: boolean;
  /** The terminal's width: notes are cut to fit. Undefined (not a terminal): nothing is cut. */
  width?: number;
  paint?: Paint;
}

/** The status table: per shot, what plan would do now, the current take, duration, cost, output. */
export function formatStatus(r: StatusReport, options: StatusTableOptions = {}): string {
  const paint = options.paint ?? NO_PAINT;
  const header = ['SHOT', 'PLAN', 'TAKE', 'DUR', 'COST', 'OUTPUT', 'PREDICTION', 'NOTE'];
  if (options.wide) header.push('PROMPT');
  const room = options.width === undefined || options.wide ? Infinity : Math.max(30, options.width - 90);
  const rows = [header];
  for (const s of r.shots) {
    const row = [
      s.id,
      s.action ? paint.action(s.action) : '—',
      takeText(s, paint),
      s.duration !== undefined ? `${s.duration}s` : '—',
      costText(s.current, paint),
      outputText(s, paint),
      s.current?.prediction_id ?? '—',
      // Cut as plain text: a colour code must not be cut in half.
      room === Infinity ? noteOf(s, paint) : truncate(noteOf(s, NO_PAINT), room),
    ];
    if (options.wide) row.push(s.prompt ?? '');
    rows.push(row);
  }
  const here = r.spentByEndpoint[r.endpoint] ?? 0;
  const spent = [
    `${paint.money(usd(here))} on ${describeEndpoint(r.endpoint)}`,
    ...Object.entries(r.spentByEndpoint)
      .filter(([ep]) => ep !== r.endpoint)
      .map(([ep, c]) => `${usd(c)} on ${describeEndpoint(ep)}`),
  ];
  return [
    `Status of ${r.name} (${displayPath(r.specFile)}) on ${describeEndpoint(r.endpoint)}${r.verified ? ', outputs checked by sha256' : ''}`,
    '',
    ...table(rows).map((l) => `  ${l}`),
    '',
    `Spent: ${spent.join(', ')}; ${paint.money(usd(r.spentCents))} counted against the ${usd(r.budgetCents)} budget`,
    ...(r.toFetch.length > 0
      ? [
          `${paint.warn(`${plural(r.toFetch.length, 'paid take')} not downloaded yet`)} (${r.toFetch.map((f) => `${f.id} #${f.takeN}`).join(', ')}): the next \`render apply\` fetches ${r.toFetch.length === 1 ? 'it' : 'them'} into .takes/ for $0`,
        ]
      : []),
  ].join('\n');
}

/** `status --json` (schema/status.schema.json), in the JSON convention of report/json.ts. */
export function statusToJson(r: StatusReport): Record<string, unknown> {
  return {
    spec: r.specFile,
    name: r.name,
    endpoint: r.endpoint,
    verified: r.verified,
    spent_cents: r.spentCents,
    spent_usd: usdNumber(r.spentCents),
    budget_cents: r.budgetCents,
    budget_usd: usdNumber(r.budgetCents),
    takes_to_fetch: r.toFetch.map((f) => ({ id: f.id, take: f.takeN })),
    spent_by_endpoint: Object.entries(r.spentByEndpoint).map(([endpoint, c]) => ({ endpoint, spent_cents: c, spent_usd: usdNumber(c) })),
    shots: r.shots.map((s) => {
      const spent = s.current && isSpent(s.current) ? s.current.cost_cents : 0;
      const refunded = s.current?.status === 'failed' ? s.current.cost_cents : 0;
      return {
        id: s.id,
        in_spec: s.inSpec,
        action: s.action ?? null,
        reason: s.reason ?? null,
        duration: s.duration ?? null,
        status: s.current?.status ?? (s.open.length > 0 ? 'unknown' : 'not_rendered'),
        take: s.current?.n ?? null,
        takes: s.entry?.takes.length ?? 0,
        prediction_id: s.current?.prediction_id ?? null,
        cost_cents: spent,
        cost_usd: usdNumber(spent),
        refunded_cents: refunded,
        refunded_usd: usdNumber(refunded),
        output: s.output,
        output_path: s.outputPath ?? null,
        fingerprint: s.current?.fingerprint ?? null,
        error: s.current?.error ?? null,
        unknown: s.open.map((t) => ({ take: t.n, since: t.submitted_at, cost_cents: t.cost_cents, cost_usd: usdNumber(t.cost_cents) })),
        prompt: s.prompt ?? null,
      };
    }),
  };
}
