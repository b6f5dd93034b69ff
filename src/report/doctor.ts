import type { DoctorCheck, DoctorReport, Verdict } from '../apply/doctor.js';
import { DEFAULT_BASE_URL, endpointIdentity, MOCK_ENDPOINT } from '../endpoint.js';
import { moneyJson } from '../money.js';
import { table } from './format.js';
import { shapeLabel } from './quotes.js';

/** `render doctor` as a table (one verdict per line) or as JSON (docs/SPEC.md "Commands and exit codes"). */

export interface DoctorTarget {
  /** The base URL asked (never carries the key: normalizeBaseUrl refuses one that does). */
  url: string;
  endpoint: string;
  spec?: { name: string; file: string };
}

type ServerKind = 'wavespeed' | 'compatible' | 'mock';

function kindOf(endpoint: string): ServerKind {
  if (endpoint === MOCK_ENDPOINT) return 'mock';
  return endpoint === endpointIdentity(DEFAULT_BASE_URL) ? 'wavespeed' : 'compatible';
}

const WHOSE: Record<ServerKind, string> = {
  wavespeed: 'the WaveSpeed API: real money',
  compatible: 'a WaveSpeed-compatible server',
  mock: 'the embedded mock server: play money',
};

function label(c: DoctorCheck): string {
  switch (c.check) {
    case 'api_key':
      return 'API key';
    case 'price':
      return `price ${shapeLabel(c.shape)}`;
    default:
      return c.check.replace('_', ' ');
  }
}

const MARK: Record<Verdict, string> = { ok: 'ok', info: 'info', warn: 'WARN', problem: 'PROBLEM', skipped: '-' };

export function formatDoctor(r: DoctorReport, t: DoctorTarget): string {
  const lines = [`render doctor: ${t.url} (${WHOSE[kindOf(t.endpoint)]})${t.spec ? `, spec ${t.spec.name} (${t.spec.file})` : ''}`, ''];
  const rows = [['CHECK', 'VERDICT', 'DETAIL'], ...r.checks.map((c) => [label(c), MARK[c.verdict], c.detail])];
  lines.push(...table(rows).map((l) => `  ${l}`), '');
  const warned = r.warnings > 0 ? ` ${r.warnings} ${r.warnings === 1 ? 'warning' : 'warnings'} to read.` : '';
  if (r.problems === 0) lines.push(`No problem found: nothing was submitted or spent.${warned}`);
  else lines.push(`${r.problems} ${r.problems === 1 ? 'problem' : 'problems'}: fix ${r.problems === 1 ? 'it' : 'them'} before \`render apply\`.${warned}`);
  return lines.join('\n');
}

function checkJson(c: DoctorCheck): Record<string, unknown> {
  const base = { check: c.check, verdict: c.verdict, detail: c.detail };
  switch (c.check) {
    case 'balance':
      return {
        ...base,
        balance: c.balanceCents === undefined ? null : moneyJson(c.balanceCents),
        plan_cost: c.needCents === undefined ? null : moneyJson(c.needCents),
      };
    case 'price': {
      const q = c.quote;
      return {
        ...base,
        model: c.shape.model,
        duration: c.shape.inputs.duration,
        sound: c.shape.inputs.sound,
        shots: c.shots,
        table: moneyJson(c.tableCents),
        quoted: q?.kind === 'quoted' ? moneyJson(q.priceCents) : null,
        discounted: q?.kind === 'quoted' && q.discountedCents !== undefined ? moneyJson(q.discountedCents) : null,
      };
    }
    case 'list_inputs':
      return { ...base, shows_inputs: c.showsInputs ?? null, looked_at: c.looked ?? 0 };
    case 'server_clock':
      return { ...base, offset_ms: c.offsetMs ?? null };
    case 'round_trip':
      return { ...base, fastest_ms: c.fastestMs ?? null, slowest_ms: c.slowestMs ?? null, requests: c.requests };
    default:
      return base;
  }
}

export function doctorToJson(r: DoctorReport, t: DoctorTarget): Record<string, unknown> {
  return {
    server: { url: t.url, endpoint: t.endpoint, kind: kindOf(t.endpoint) },
    spec: t.spec ?? null,
    ok: r.problems === 0,
    problems: r.problems,
    warnings: r.warnings,
    checks: r.checks.map(checkJson),
  };
}
