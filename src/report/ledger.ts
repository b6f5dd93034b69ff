import { describeEndpoint } from '../endpoint.js';
import { moneyJson, usd } from '../money.js';
import type { Ledger, LedgerRow, UnownedCharge } from '../plan/ledger.js';
import { displayPath } from '../util/paths.js';
import { plural, table } from './format.js';

/** `render ledger`: the bill against the lockfile, as a table or as JSON (docs/SPEC.md "Commands and exit codes"). */

export interface LedgerTarget {
  specFile: string;
  name: string;
}

const when = (ms: number | undefined) => (ms === undefined ? '—' : new Date(ms).toISOString().replace('T', ' ').slice(0, 19));
const cents = (c: number) => (c === 0 ? '—' : usd(c));
const signed = (c: number | null) => (c === null ? '—' : c === 0 ? usd(0) : `${c > 0 ? '+' : '-'}${usd(Math.abs(c))}`);

function adoptHint(u: UnownedCharge, spec: string): string {
  if (u.fits.length === 1)
    return `may be ${u.fits[0]!.shot} take ${u.fits[0]!.take}'s lost submit: check it, then render adopt ${spec} ${u.fits[0]!.shot} ${u.predictionId}`;
  if (u.fits.length > 1) return `may be the lost submit of ${u.fits.map((f) => `${f.shot} take ${f.take}`).join(' or ')}: check it, then render adopt`;
  return 'no unknown submit of this campaign fits it: another run on the account?';
}

function takeRows(rows: readonly LedgerRow[]): string[] {
  const out = [['SHOT', 'TAKE', 'PREDICTION', 'STATUS', 'PLANNED', 'COUNTED', 'CHARGED', 'REFUNDED', 'DIFF', 'NOTE']];
  for (const r of rows) {
    out.push([
      r.shot,
      `#${r.take}`,
      r.predictionId ?? '—',
      r.status,
      usd(r.plannedCents),
      usd(r.countedCents),
      cents(r.chargedCents),
      cents(r.refundedCents),
      signed(r.differenceCents),
      r.note,
    ]);
  }
  return table(out, ['l', 'l', 'l', 'l', 'r', 'r', 'r', 'r', 'r', 'l']).map((l) => `  ${l}`);
}

export function formatLedger(l: Ledger, t: LedgerTarget): string {
  const spec = displayPath(t.specFile);
  const lines = [`Ledger of ${t.name} (${spec}) on ${describeEndpoint(l.endpoint)}: the account's billings matched to the lockfile`, ''];
  if (l.rows.length === 0) lines.push(`  no take on this endpoint yet: nothing to match`);
  else {
    lines.push(...takeRows(l.rows), '');
    const x = l.totals;
    lines.push(
      `  planned        ${usd(x.plannedCents).padStart(12)}`,
      `  counted        ${usd(x.countedCents).padStart(12)}   spent, as the lockfile counts it (failed takes refunded, forgotten ones not paid)`,
      `  charged        ${usd(x.chargedCents).padStart(12)}`,
      `  refunded       ${usd(x.refundedCents).padStart(12)}`,
      `  difference     ${signed(x.differenceCents).padStart(12)}   ${x.differenceCents === 0 ? 'the bill matches the lockfile' : 'billed minus counted: see the notes'}`,
    );
  }
  if (l.unowned.length > 0) {
    const total = l.unowned.reduce((n, u) => n + u.chargedCents - u.refundedCents, 0);
    lines.push('', `Charges no shot owns, in the campaign's time window: ${plural(l.unowned.length, 'prediction')}, ${usd(total)} net`);
    const rows = [['PREDICTION', 'MODEL', 'CHARGED AT', 'CHARGED', 'REFUNDED', 'WHAT IT MAY BE']];
    for (const u of l.unowned) rows.push([u.predictionId, u.model ?? '—', when(u.atMs), cents(u.chargedCents), cents(u.refundedCents), adoptHint(u, spec)]);
    lines.push(...table(rows, ['l', 'l', 'l', 'r', 'r', 'l']).map((r) => `  ${r}`));
  }
  for (const e of l.elsewhere) lines.push('', `note: ${plural(e.takes, 'take')} on ${e.endpoint} are billed to that server's account: not checked here`);
  if (!l.complete) lines.push('', 'note: the bill has more items than render reads in one go: the oldest are left out, so figures may be incomplete');
  if (l.ignored > 0) lines.push('', `note: ${plural(l.ignored, 'billing item')} without a prediction (top-ups, orders) left out`);
  return lines.join('\n');
}

export function ledgerToJson(l: Ledger, t: LedgerTarget): Record<string, unknown> {
  const x = l.totals;
  const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());
  return {
    spec: t.specFile,
    name: t.name,
    endpoint: l.endpoint,
    window: l.window ? { start: iso(l.window.startMs), end: iso(l.window.endMs) } : null,
    bill_from: iso(l.billFromMs),
    complete: l.complete,
    takes: l.rows.map((r) => ({
      shot: r.shot,
      take: r.take,
      prediction_id: r.predictionId ?? null,
      status: r.status,
      submitted_at: r.submittedAt,
      planned: moneyJson(r.plannedCents),
      counted: moneyJson(r.countedCents),
      charged: moneyJson(r.chargedCents),
      refunded: moneyJson(r.refundedCents),
      difference: r.differenceCents === null ? null : moneyJson(r.differenceCents),
      note: r.note,
    })),
    totals: {
      planned: moneyJson(x.plannedCents),
      counted: moneyJson(x.countedCents),
      charged: moneyJson(x.chargedCents),
      refunded: moneyJson(x.refundedCents),
      net: moneyJson(x.chargedCents - x.refundedCents),
      difference: moneyJson(x.differenceCents),
    },
    unowned: l.unowned.map((u) => ({
      prediction_id: u.predictionId,
      model: u.model ?? null,
      charged_at: iso(u.atMs),
      charged: moneyJson(u.chargedCents),
      refunded: moneyJson(u.refundedCents),
      fits: u.fits,
    })),
    elsewhere: l.elsewhere,
    ignored_items: l.ignored,
  };
}
