import type { StatusReport } from '../plan/status.js';
import { displayPath } from '../util/paths.js';
import { usd } from '../money.js';
import { table } from './format.js';
import { describeEndpoint } from '../endpoint.js';

export function formatStatus(r: StatusReport): string {
  const rows = [['SHOT', 'STATE', 'OUTPUT', 'COST', 'ENDPOINT', 'PREDICTION', 'NOTE']];
  for (const s of r.shots) {
    const e = s.entry;
    const state = !e ? 'not rendered' : e.status === 'submitting' || e.status === 'unknown' ? 'submit unknown' : e.status;
    const note = [
      !s.inSpec ? 'not in the spec any more' : '',
      e?.error ? `${e.error.task_code ?? e.error.code}: ${e.error.message}` : '',
      e?.history.length ? `${e.history.length} earlier take(s)` : '',
    ]
      .filter(Boolean)
      .join('; ');
    rows.push([s.id, state, s.output === 'none' ? '—' : s.output, e ? usd(e.cost_cents) : '—', e ? e.endpoint : '—', e?.prediction_id ?? '—', note]);
  }
  const spent = Object.entries(r.spentByEndpoint).map(([ep, c]) => `${usd(c)} on ${describeEndpoint(ep)}`);
  return [`Status of ${r.name} (${displayPath(r.specFile)})`, '', ...table(rows).map((l) => `  ${l}`), '', `Spent: ${spent.join(', ') || '$0.00'}`].join('\n');
}

export function statusToJson(r: StatusReport): Record<string, unknown> {
  return {
    spec: r.specFile,
    name: r.name,
    spent_cents: r.spentByEndpoint,
    shots: r.shots.map((s) => ({
      id: s.id,
      in_spec: s.inSpec,
      status: s.entry?.status ?? 'not_rendered',
      output: s.output,
      output_path: s.outputPath,
      endpoint: s.entry?.endpoint,
      prediction_id: s.entry?.prediction_id,
      cost_cents: s.entry?.cost_cents ?? 0,
      fingerprint: s.entry?.fingerprint,
      error: s.entry?.error,
      takes: s.entry ? s.entry.history.length + 1 : 0,
    })),
  };
}
