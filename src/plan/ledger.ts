import { MOCK_ENDPOINT } from '../endpoint.js';
import type { Lockfile, LockTake, TakeStatus } from '../lock/schema.js';
import { isOpen, isSpent } from '../lock/takes.js';

/**
 * The bill matched to the lockfile (`render ledger`, docs/SPEC.md "Commands and exit codes"): per take of the
 * endpoint, what the plan priced it at, what the lockfile counts as spent, and what the account's billings show
 * charged and refunded for its prediction; then the charges in the campaign's time window that no take owns. Pure:
 * the billings are fetched elsewhere (apply/ledger.ts) and handed in, on our clock.
 */

/** One billing item, as the ledger needs it. */
export interface BillEntry {
  type: string;
  cents: number;
  /** ms since the epoch on our clock (the server's time less its measured offset); undefined when not sent. */
  atMs?: number;
  predictionId?: string;
  model?: string;
}

export interface LedgerRow {
  shot: string;
  take: number;
  predictionId?: string;
  status: TakeStatus;
  submittedAt: string;
  /** The take's price when it was planned (`cost_cents`). */
  plannedCents: number;
  /** What the lockfile counts as spent for it: the planned price, 0 once failed (refunded) or forgotten. */
  countedCents: number;
  chargedCents: number;
  refundedCents: number;
  /** charged − refunded − counted; null when the bill cannot say (no prediction id, or older than it reaches). */
  differenceCents: number | null;
  note: string;
}

export interface UnownedCharge {
  predictionId: string;
  model?: string;
  atMs?: number;
  chargedCents: number;
  refundedCents: number;
  /** Unknown-outcome takes this charge could be (same model, in the submit's window): adopt it if it is. */
  fits: { shot: string; take: number }[];
}

export interface Ledger {
  endpoint: string;
  rows: LedgerRow[];
  unowned: UnownedCharge[];
  totals: { plannedCents: number; countedCents: number; chargedCents: number; refundedCents: number; differenceCents: number };
  /** Takes on other real endpoints: billed to another server's account, not checked here. */
  elsewhere: { endpoint: string; takes: number }[];
  /** The campaign's window on this endpoint (undefined with no take here) and how far back the bill was read. */
  window?: { startMs: number; endMs: number };
  billFromMs?: number;
  /** False when the bill was longer than render reads: figures may miss the oldest items. */
  complete: boolean;
  /** Billing items with no prediction (top-ups, orders) or of an unknown type, left out. */
  ignored: number;
}

export interface LedgerInput {
  lock: Lockfile;
  endpoint: string;
  entries: readonly BillEntry[];
  /** How far back the bill reaches (ms, our clock): takes before it cannot be checked. */
  billFromMs: number;
  complete: boolean;
}

/** The clocks and the bill's timestamps need not agree to the second: a charge this close to a window is in it. */
export const WINDOW_MARGIN_MS = 10 * 60_000;
/** A charge this close to an unknown submit's send-to-give-up span may be it. */
const FIT_MARGIN_MS = 2 * 60_000;

interface Billed {
  charged: number;
  refunded: number;
  charges: number;
  model?: string;
  firstChargeMs?: number;
}

/** The campaign's time window on an endpoint: its first submit to its last one (or give-up), with a margin. */
export function campaignWindow(lock: Lockfile, endpoint: string): { startMs: number; endMs: number } | undefined {
  const times = takesOn(lock, endpoint).flatMap(({ take }) => [take.submitted_at, take.given_up_at ?? take.submitted_at].map((t) => Date.parse(t)));
  const valid = times.filter(Number.isFinite);
  if (valid.length === 0) return undefined;
  return { startMs: Math.min(...valid) - WINDOW_MARGIN_MS, endMs: Math.max(...valid) + WINDOW_MARGIN_MS };
}

function takesOn(lock: Lockfile, endpoint: string): { shot: string; take: LockTake }[] {
  return Object.entries(lock.endpoints[endpoint]?.shots ?? {}).flatMap(([shot, s]) => s.takes.map((take) => ({ shot, take })));
}

/** Charges and refunds per prediction id; items without one (or of another type) are counted as ignored. */
function billByPrediction(entries: readonly BillEntry[]): { byId: Map<string, Billed>; ignored: number } {
  const byId = new Map<string, Billed>();
  let ignored = 0;
  for (const e of entries) {
    if (!e.predictionId || (e.type !== 'charge' && e.type !== 'refund')) {
      ignored++;
      continue;
    }
    const b = byId.get(e.predictionId) ?? { charged: 0, refunded: 0, charges: 0 };
    if (e.type === 'charge') {
      b.charged += e.cents;
      b.charges++;
      if (e.atMs !== undefined) b.firstChargeMs = Math.min(b.firstChargeMs ?? e.atMs, e.atMs);
    } else b.refunded += e.cents;
    b.model ??= e.model;
    byId.set(e.predictionId, b);
  }
  return { byId, ignored };
}

export function buildLedger(input: LedgerInput): Ledger {
  const { lock, endpoint } = input;
  const { byId, ignored } = billByPrediction(input.entries);
  const rows = takesOn(lock, endpoint).map(({ shot, take }) => rowOf(shot, take, byId.get(take.prediction_id ?? ''), input.billFromMs));
  rows.sort((a, b) => Date.parse(a.submittedAt) - Date.parse(b.submittedAt) || a.shot.localeCompare(b.shot) || a.take - b.take);
  const owned = new Set(rows.flatMap((r) => (r.predictionId ? [r.predictionId] : [])));
  const window = campaignWindow(lock, endpoint);
  const open = takesOn(lock, endpoint).filter(({ take }) => isOpen(take));
  const unowned: UnownedCharge[] = [];
  for (const [id, b] of byId) {
    if (owned.has(id) || b.charges === 0 || !window || b.firstChargeMs === undefined) continue;
    if (b.firstChargeMs < window.startMs || b.firstChargeMs > window.endMs) continue;
    const at = b.firstChargeMs;
    const fits = open.filter(({ take }) => (!b.model || b.model === take.model) && fitsSpan(take, at)).map(({ shot, take }) => ({ shot, take: take.n }));
    unowned.push({ predictionId: id, model: b.model, atMs: at, chargedCents: b.charged, refundedCents: b.refunded, fits });
  }
  unowned.sort((a, b) => (a.atMs ?? 0) - (b.atMs ?? 0));
  const sum = (f: (r: LedgerRow) => number) => rows.reduce((n, r) => n + f(r), 0);
  return {
    endpoint,
    rows,
    unowned,
    totals: {
      plannedCents: sum((r) => r.plannedCents),
      countedCents: sum((r) => r.countedCents),
      chargedCents: sum((r) => r.chargedCents),
      refundedCents: sum((r) => r.refundedCents),
      differenceCents: sum((r) => r.differenceCents ?? 0),
    },
    elsewhere: Object.entries(lock.endpoints)
      .filter(([ep]) => ep !== endpoint && ep !== MOCK_ENDPOINT)
      .map(([ep, state]) => ({ endpoint: ep, takes: Object.values(state.shots).reduce((n, s) => n + s.takes.length, 0) }))
      .filter((e) => e.takes > 0),
    window,
    billFromMs: input.billFromMs,
    complete: input.complete,
    ignored,
  };
}

function fitsSpan(take: LockTake, atMs: number): boolean {
  const from = Date.parse(take.submitted_at) - FIT_MARGIN_MS;
  const to = Date.parse(take.given_up_at ?? take.submitted_at) + FIT_MARGIN_MS;
  return atMs >= from && atMs <= to;
}

function rowOf(shot: string, take: LockTake, billed: Billed | undefined, billFromMs: number): LedgerRow {
  const counted = isSpent(take) ? take.cost_cents : 0;
  const row: LedgerRow = {
    shot,
    take: take.n,
    status: take.status,
    submittedAt: take.submitted_at,
    plannedCents: take.cost_cents,
    countedCents: counted,
    chargedCents: billed?.charged ?? 0,
    refundedCents: billed?.refunded ?? 0,
    differenceCents: null,
    note: '',
  };
  if (take.prediction_id) row.predictionId = take.prediction_id;
  if (!take.prediction_id) {
    row.note = take.status === 'forgotten' ? 'forgotten: declared never created' : 'outcome unknown: no prediction id (see the charges no shot owns)';
    return row;
  }
  if (!billed && Date.parse(take.submitted_at) < billFromMs + WINDOW_MARGIN_MS) {
    row.note = 'older than the 7 days the bill shows';
    return row;
  }
  const diff = row.chargedCents - row.refundedCents - counted;
  row.differenceCents = diff;
  row.note = noteOf(take, billed, diff);
  return row;
}

function noteOf(take: LockTake, billed: Billed | undefined, diff: number): string {
  if (!billed || billed.charges === 0) return billed ? 'refunded, but no charge found' : 'no charge found in the bill';
  if (billed.charges > 1) return `charged ${billed.charges} times`;
  if (take.status === 'failed')
    return billed.refunded > 0 ? (diff === 0 ? 'failed: refunded' : 'failed: refund differs from the charge') : 'failed: refund pending (within about 3 hours)';
  if (billed.refunded > 0) return 'refunded, though the take did not fail';
  if (diff > 0) return 'charged more than planned';
  if (diff < 0) return 'charged less than planned';
  return '';
}
