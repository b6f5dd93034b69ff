import type { LoadedState } from '../lock/backend.js';
import { readCurrentLock } from '../lock/store.js';
import { buildLedger, campaignWindow, WINDOW_MARGIN_MS, type BillEntry, type Ledger } from '../plan/ledger.js';
import type { BillingItem, WaveSpeedClient } from '../provider/index.js';
import { checkSpec } from '../spec/check.js';
import { loadSpec } from '../spec/load.js';

/**
 * `render ledger`: the account's billings for the campaign's time window, matched to the lockfile (plan/ledger.ts).
 * Read-only: the lockfile and any journal of an interrupted run are read, never written, and nothing is submitted.
 */

export interface LedgerOptions {
  spec: string;
  /** The endpoint the client talks to: only its takes are billed to this account. */
  endpoint: string;
  client: WaveSpeedClient;
  now?: () => number;
  /** The state as a state database has it (docs/ARCHITECTURE.md "Team state"); default: the lockfile and journal. */
  state?: LoadedState;
}

export interface LedgerResult {
  ledger: Ledger;
  specFile: string;
  name: string;
}

export async function ledgerOf(o: LedgerOptions): Promise<LedgerResult> {
  // The spec only names the campaign: its images and templates need not be valid for its bill to be read.
  const loaded = loadSpec(o.spec);
  const spec = checkSpec(loaded);
  const lock = o.state?.lock ?? readCurrentLock(loaded.file, spec.name);
  const nowMs = (o.now ?? Date.now)();
  const window = campaignWindow(lock, o.endpoint);
  const result = (ledger: Ledger): LedgerResult => ({ ledger, specFile: loaded.file, name: spec.name });
  if (!window) return result(buildLedger({ lock, endpoint: o.endpoint, entries: [], billFromMs: nowMs, complete: true }));
  // To now, not to the window's end: a failed take is refunded up to about 3 hours after it failed.
  const bill = await o.client.billings({ startMs: window.startMs, endMs: nowMs + WINDOW_MARGIN_MS });
  const offset = o.client.serverClockOffsetMs() ?? 0;
  const entries = bill.items.map((item) => entryOf(item, offset));
  return result(buildLedger({ lock, endpoint: o.endpoint, entries, billFromMs: bill.startMs, complete: bill.complete }));
}

/** A billing item on our clock: the server's time less its measured offset (docs/ARCHITECTURE.md "API facts we rely on"). */
function entryOf(item: BillingItem, offsetMs: number): BillEntry {
  const at = item.createdAt === undefined ? NaN : Date.parse(item.createdAt);
  return {
    type: item.type,
    cents: item.cents,
    ...(Number.isFinite(at) ? { atMs: at - offsetMs } : {}),
    ...(item.predictionId === undefined ? {} : { predictionId: item.predictionId }),
    ...(item.model === undefined ? {} : { model: item.model }),
  };
}
