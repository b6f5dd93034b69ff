import { RenderError } from '../errors.js';
import { costCents, DEFAULT_MODEL, priceShapeOf, type PriceShape } from '../models.js';
import { usd } from '../money.js';
import type { Plan } from '../plan/build.js';
import { isMissingRoute, priceShapes, type Quote } from '../plan/quotes.js';
import type { WaveSpeedClient } from '../provider/index.js';
import { createQuoter } from './quotes.js';

/**
 * `render doctor`: $0 checks of the configured server before the first real apply (docs/SPEC.md "Commands and exit
 * codes"). Reads only: the balance, one page of the prediction list, and free price quotes. It never submits,
 * uploads or writes anything. Each check ends in a verdict; a `problem` is what an apply would trip on.
 */

export type Verdict = 'ok' | 'info' | 'warn' | 'problem' | 'skipped';

interface CheckBase {
  verdict: Verdict;
  detail: string;
}

export type DoctorCheck =
  | (CheckBase & { check: 'api_key' })
  | (CheckBase & { check: 'balance'; balanceCents?: number; needCents?: number })
  | (CheckBase & { check: 'price'; shape: PriceShape; shots: number; tableCents: number; quote?: Quote })
  | (CheckBase & { check: 'list_inputs'; showsInputs?: boolean; looked?: number })
  | (CheckBase & { check: 'server_clock'; offsetMs?: number })
  | (CheckBase & { check: 'round_trip'; fastestMs?: number; slowestMs?: number; requests: number });

export interface DoctorOptions {
  client: WaveSpeedClient;
  /** Whether an API key was given at all (a missing key is a verdict, not an exception). */
  hasKey: boolean;
  /** The spec's plan on this endpoint: its shapes are quoted and its cost compared with the balance. */
  plan?: Plan;
  /** For round-trip times (default performance.now). */
  now?: () => number;
}

export interface DoctorReport {
  checks: DoctorCheck[];
  problems: number;
  warnings: number;
}

type Outcome<T> = { ok: true; value: T } | { ok: false; error: RenderError };

const SLOW_MS = 1500;
const SKIPPED = 'not checked: the key did not work';

export async function runDoctor(o: DoctorOptions): Promise<DoctorReport> {
  const now = o.now ?? (() => performance.now());
  const times: number[] = [];
  const timed = async <T>(fn: () => Promise<T>): Promise<Outcome<T>> => {
    const t0 = now();
    try {
      return { ok: true, value: await fn() };
    } catch (err) {
      if (!(err instanceof RenderError)) throw err;
      return { ok: false, error: err };
    } finally {
      times.push(now() - t0);
    }
  };
  // Without a spec: a 5 s shot of the default model, the documented example price.
  const shapes = o.plan
    ? priceShapes(o.plan.model, o.plan.shots)
    : [{ shape: priceShapeOf(DEFAULT_MODEL, { duration: 5 }), tableCents: costCents(DEFAULT_MODEL, 5), shots: [] }];
  if (!o.hasKey) return finish(skipRest([{ check: 'api_key', verdict: 'problem', detail: 'WAVESPEED_API_KEY is not set' }], shapes, 'not checked: no key'));

  const balance = await timed(() => o.client.balanceCents());
  const fatal = balance.ok ? undefined : keyProblem(balance.error);
  if (fatal) return finish(skipRest([{ check: 'api_key', verdict: 'problem', detail: fatal }], shapes, SKIPPED));
  const list = await timed(() => o.client.listPredictions({ page: 1, page_size: 20 }));
  const listFatal = list.ok ? undefined : keyProblem(list.error);
  if (listFatal) return finish(skipRest([{ check: 'api_key', verdict: 'problem', detail: listFatal }], shapes, SKIPPED));

  const checks: DoctorCheck[] = [keyCheck(balance.ok || list.ok), balanceCheck(balance, o.plan)];
  const quote = createQuoter(o.client);
  for (const s of shapes) {
    const q = await timed(() => quote(s.shape));
    checks.push(priceCheck(s, q.ok ? q.value : { kind: 'unavailable', code: q.error.code, status: q.error.status, message: q.error.message }));
  }
  checks.push(listCheck(list), clockCheck(o.client.serverClockOffsetMs()), roundTripCheck(times));
  return finish(checks);
}

function finish(checks: DoctorCheck[]): DoctorReport {
  return { checks, problems: checks.filter((c) => c.verdict === 'problem').length, warnings: checks.filter((c) => c.verdict === 'warn').length };
}

/** A failure that makes every other check pointless: the key refused, or the server not reached. */
function keyProblem(err: RenderError): string | undefined {
  if (err.code === 'AUTH') return `refused by the server${err.status ? ` (HTTP ${err.status})` : ''}: the key is wrong, revoked or for another server`;
  if (err.code === 'FORBIDDEN') return `refused by the server (HTTP 403): ${err.remoteMessage ?? "the key's account may not use this API"}`;
  if (err.code === 'NETWORK' || err.code === 'TIMEOUT') return `the server did not answer: ${err.message}`;
  return undefined;
}

function skipRest(checks: DoctorCheck[], shapes: ReturnType<typeof priceShapes>, why: string): DoctorCheck[] {
  checks.push({ check: 'balance', verdict: 'skipped', detail: why });
  for (const s of shapes) checks.push({ check: 'price', verdict: 'skipped', detail: why, shape: s.shape, shots: s.shots.length, tableCents: s.tableCents });
  checks.push({ check: 'list_inputs', verdict: 'skipped', detail: why }, { check: 'server_clock', verdict: 'skipped', detail: why });
  checks.push({ check: 'round_trip', verdict: 'skipped', detail: why, requests: 0 });
  return checks;
}

function keyCheck(answered: boolean): DoctorCheck {
  return answered
    ? { check: 'api_key', verdict: 'ok', detail: 'accepted (never printed)' }
    : { check: 'api_key', verdict: 'warn', detail: 'not confirmed: neither the balance nor the prediction list answered' };
}

function balanceCheck(b: Outcome<number>, plan: Plan | undefined): DoctorCheck {
  if (!b.ok) {
    if (isNotFound(b.error))
      return { check: 'balance', verdict: 'warn', detail: 'the server has no balance route (HTTP 404): apply goes on without its balance check' };
    return { check: 'balance', verdict: 'problem', detail: b.error.message };
  }
  const balanceCents = b.value;
  if (!plan) return { check: 'balance', verdict: balanceCents > 0 ? 'ok' : 'warn', detail: usd(balanceCents), balanceCents };
  const need = plan.totals.costCents;
  const what = `this plan's ${usd(need)} (${plan.totals.toSubmit} ${plan.totals.toSubmit === 1 ? 'shot' : 'shots'} to submit)`;
  if (need === 0) return { check: 'balance', verdict: 'ok', detail: `${usd(balanceCents)}; the plan submits nothing`, balanceCents, needCents: need };
  if (balanceCents >= need) return { check: 'balance', verdict: 'ok', detail: `${usd(balanceCents)}; covers ${what}`, balanceCents, needCents: need };
  return {
    check: 'balance',
    verdict: 'problem',
    detail: `${usd(balanceCents)}; does not cover ${what}: ${usd(need - balanceCents)} short`,
    balanceCents,
    needCents: need,
  };
}

function priceCheck(s: ReturnType<typeof priceShapes>[number], quote: Quote): DoctorCheck {
  const base = { check: 'price' as const, shape: s.shape, shots: s.shots.length, tableCents: s.tableCents, quote };
  const table = usd(s.tableCents);
  if (quote.kind === 'unavailable') {
    if (isMissingRoute(quote))
      return { ...base, verdict: 'warn', detail: `the server has no price quote (HTTP ${quote.status}): apply goes on at the table's ${table}` };
    if (quote.code === 'INVALID_INPUT')
      return { ...base, verdict: 'warn', detail: `the server refused the quote request (${quote.message}): apply goes on at the table's ${table}` };
    return { ...base, verdict: 'problem', detail: quote.message };
  }
  const p = quote.priceCents;
  const discount =
    quote.discountedCents !== undefined && quote.discountedCents !== p ? ` (discounted ${usd(quote.discountedCents)}: render counts the full price)` : '';
  if (p === s.tableCents) return { ...base, verdict: 'ok', detail: `${usd(p)} quoted, as in the price table${discount}${shotsOf(s)}` };
  if (p > s.tableCents) {
    return {
      ...base,
      verdict: 'problem',
      detail: `${usd(p)} quoted, ${table} in the price table: ${usd(p - s.tableCents)} more; apply refuses shots priced above their plan${discount}${shotsOf(s)}`,
    };
  }
  return {
    ...base,
    verdict: 'warn',
    detail: `${usd(p)} quoted, ${table} in the price table: ${usd(s.tableCents - p)} less; plans show the higher figure${discount}${shotsOf(s)}`,
  };
}

function shotsOf(s: { shots: string[] }): string {
  const n = s.shots.length;
  return n === 0 ? '' : ` (${n} ${n === 1 ? 'shot' : 'shots'})`;
}

function listCheck(l: Outcome<{ items: { input?: unknown }[] }>): DoctorCheck {
  if (!l.ok) {
    if (isNotFound(l.error))
      return {
        check: 'list_inputs',
        verdict: 'warn',
        detail: 'the server has no prediction list (HTTP 404): a lost submit is settled only by `render adopt` or `render forget`',
      };
    return { check: 'list_inputs', verdict: 'problem', detail: l.error.message };
  }
  const looked = l.value.items.length;
  if (looked === 0) {
    return {
      check: 'list_inputs',
      verdict: 'info',
      detail:
        'no prediction in the last 7 days to look at; until one shows its input, a lost submit settles by its time window, or by `render adopt` / `render forget`',
      looked,
    };
  }
  const showsInputs = l.value.items.some((p) => p.input !== undefined);
  return showsInputs
    ? {
        check: 'list_inputs',
        verdict: 'ok',
        detail: "the list shows each prediction's input: a lost submit settles by itself, matched by its input",
        showsInputs,
        looked,
      }
    : {
        check: 'list_inputs',
        verdict: 'info',
        detail:
          'the list shows no inputs (as the API docs show it): a lost submit settles by itself only when one prediction fits its time window, else by `render adopt` / `render forget`',
        showsInputs,
        looked,
      };
}

function clockCheck(offsetMs: number | undefined): DoctorCheck {
  if (offsetMs === undefined) {
    return {
      check: 'server_clock',
      verdict: 'warn',
      detail: 'no Date header on its answers: lost submits are matched within ±15 minutes, so more are left to you',
    };
  }
  const s = (Math.abs(offsetMs) / 1000).toFixed(1);
  if (Math.abs(offsetMs) < 1000) return { check: 'server_clock', verdict: 'ok', detail: `agrees with ours (${s} s apart)`, offsetMs };
  return {
    check: 'server_clock',
    verdict: 'info',
    detail: `${s} s ${offsetMs > 0 ? 'ahead of' : 'behind'} ours: measured, and allowed for when settling a lost submit`,
    offsetMs,
  };
}

function roundTripCheck(times: number[]): DoctorCheck {
  const fastestMs = Math.round(Math.min(...times));
  const slowestMs = Math.round(Math.max(...times));
  const detail = `${fastestMs} ms (fastest of ${times.length} requests; slowest ${slowestMs} ms)`;
  return {
    check: 'round_trip',
    verdict: fastestMs < SLOW_MS ? 'ok' : 'warn',
    detail: fastestMs < SLOW_MS ? detail : `slow: ${detail}`,
    fastestMs,
    slowestMs,
    requests: times.length,
  };
}

function isNotFound(err: RenderError): boolean {
  return err.status === 404 || err.status === 405;
}
