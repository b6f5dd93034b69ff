import { describeEndpoint } from '../endpoint.js';
import { usd, usdNumber } from '../money.js';
import type { TakeRow, TakesReport } from '../plan/takes.js';
import { displayPath } from '../util/paths.js';
import { NO_PAINT, type Paint } from './colour.js';
import { table, truncate } from './format.js';

/** The prompt's first words on a terminal (`room`), all of it otherwise. */
function promptOf(row: TakeRow, room: number): string {
  const r = row.take.request as { prompt?: unknown; multi_prompt?: { prompt?: unknown }[] };
  const text = typeof r.prompt === 'string' ? r.prompt : (r.multi_prompt ?? []).map((p) => String(p.prompt)).join(' / ');
  return truncate(text, room);
}

function costOf(row: TakeRow, paint: Paint): string {
  const t = row.take;
  if (t.status === 'failed') return `${usd(0)} (${usd(t.cost_cents)} refunded)`;
  if (t.status === 'forgotten') return `${usd(0)} (forgotten)`;
  return paint.money(usd(t.cost_cents));
}

/** `render takes`: every take, newest first, the current one marked. */
export function formatTakes(r: TakesReport, options: { width?: number; paint?: Paint } = {}): string {
  const paint = options.paint ?? NO_PAINT;
  const room = options.width === undefined ? Infinity : 48;
  const rows = [['', 'SHOT', 'TAKE', 'ENDPOINT', 'STATUS', 'PREDICTION', 'COST', 'WHEN', 'FILE', 'PROMPT']];
  for (const row of r.rows) {
    const t = row.take;
    rows.push([
      row.current ? '*' : '',
      row.shot,
      `#${t.n}`,
      row.endpoint === 'mock' ? 'mock' : row.endpoint,
      t.status === 'failed' ? paint.fail(t.status) : t.status === 'unknown' ? paint.warn(t.status) : t.status,
      t.prediction_id ?? '—',
      costOf(row, paint),
      (t.completed_at ?? t.submitted_at).replace('T', ' ').slice(0, 16),
      row.file ? `${row.file.path} (${row.file.state})` : '—',
      promptOf(row, room),
    ]);
  }
  const endpoints = [...new Set(r.rows.map((x) => x.endpoint))].map(describeEndpoint).join(', ');
  return [
    `Takes of ${r.name} (${displayPath(r.specFile)})${endpoints ? ` on ${endpoints}` : ''}; * = current`,
    '',
    ...(r.rows.length > 0 ? table(rows).map((l) => `  ${l}`) : ['  no takes yet: `render apply` makes the first']),
  ].join('\n');
}

export function takesToJson(r: TakesReport): Record<string, unknown> {
  return {
    spec: r.specFile,
    name: r.name,
    takes: r.rows.map(({ shot, endpoint, take: t, current, file }) => ({
      shot,
      take: t.n,
      endpoint,
      current,
      status: t.status,
      prediction_id: t.prediction_id ?? null,
      cost_cents: t.status === 'failed' || t.status === 'forgotten' ? 0 : t.cost_cents,
      cost_usd: usdNumber(t.status === 'failed' || t.status === 'forgotten' ? 0 : t.cost_cents),
      refunded: t.status === 'failed',
      refunded_cents: t.status === 'failed' ? t.cost_cents : 0,
      refunded_usd: usdNumber(t.status === 'failed' ? t.cost_cents : 0),
      fingerprint: t.fingerprint,
      submitted_at: t.submitted_at,
      completed_at: t.completed_at ?? null,
      file: file ?? null,
      request: t.request,
      error: t.error ?? null,
      settled_by: t.settled_by ?? null,
    })),
  };
}
