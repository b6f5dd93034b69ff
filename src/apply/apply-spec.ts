import { type ErrorCode, RenderError } from '../errors.js';
import type { PlanTotals } from '../plan/build.js';
import { checkImagesDecode } from '../plan/decode.js';
import { SUBMITTING } from '../plan/diff.js';
import { planValidSpec, validateSpec, type PlannedSpec, type ValidSpec } from '../plan/plan-spec.js';
import type { PollPolicy, WaveSpeedClient } from '../provider/index.js';
import { usd } from '../money.js';
import type { ApplySummary, Emit } from './events.js';
import { acquireProcessLock } from '../lock/process-lock.js';
import { runApply } from './run.js';
import { checkSavedPlan, type SavedPlan } from '../plan/saved-plan.js';
import { LockStore, stateDir } from '../lock/store.js';
import { checkClaim, claimOutputFolder, writeClaim } from '../lock/claim.js';
import type { StateBackend } from '../lock/backend.js';
import { openStateBackend } from '../lock/open-backend.js';
import { stateLocationOf } from '../lock/state-url.js';
import { checkOutputPlaces } from './outputs.js';
import { sweepLeftovers } from './sweep.js';
import type { PlanQuotes, Quote } from '../plan/quotes.js';
import { createQuoter, quotePlan, refuseQuotesAbovePlan } from './quotes.js';

export interface ApplySpecOptions {
  /** The spec file, or a saved plan whose spec is applied exactly as saved. */
  spec: string;
  savedPlan?: SavedPlan;
  endpoint: string;
  client: WaveSpeedClient;
  emit: Emit;
  /** Shown the plan; resolves true to go on. Not called when nothing is to be done. */
  /** Shown the plan before anything else is decided (an over-budget plan is shown, then refused). */
  show?: (planned: PlannedSpec) => void;
  confirm: (planned: PlannedSpec) => Promise<boolean>;
  concurrency?: number;
  maxRunCents?: number;
  select?: (id: string) => boolean;
  poll?: Partial<PollPolicy>;
  settleAfterMs?: number;
  /** The client's per-request deadline: a lost submit of an earlier run may have been given up this late. */
  requestTimeoutMs?: number;
  stopSignal?: AbortSignal;
  signal?: AbortSignal;
  /** Check the account balance covers the plan before submitting (default true). */
  checkBalance?: boolean;
  /** Told the server's quotes for what the plan submits, before any shot above its plan is refused. */
  quoted?: (quotes: PlanQuotes) => void;
  /** Where the state URL is looked up (RENDER_STATE_URL, or the variable the spec's `state:` names); default none. */
  env?: Record<string, string | undefined>;
}

export type ApplyOutcome = { kind: 'declined'; planned: PlannedSpec } | { kind: 'applied'; planned: PlannedSpec; summary: ApplySummary };

/**
 * The whole of `render apply`: take the per-spec process lock, plan (against the lockfile and any journal
 * of an interrupted run), refuse an over-budget or stale plan, confirm, then run. The lock is held from
 * planning to the last record, so two applies can never plan the same money.
 */
export async function applySpec(o: ApplySpecOptions): Promise<ApplyOutcome> {
  // The lock is per spec name, so the spec is validated first (a bad spec fails here, having written nothing);
  // the plan is made under the lock, so no other run can change the lockfile between plan and apply.
  const valid = validateSpec(o.spec);
  // With a state database, its campaign lock is taken first (one apply across every machine), then this machine's.
  const location = stateLocationOf(valid.spec, o.env ?? {});
  const backend = location ? await openStateBackend(location, valid.loaded.file, valid.spec.name, 'render apply') : undefined;
  let handedOver = false;
  try {
    const processLock = acquireProcessLock(stateDir(valid.loaded.file), valid.spec.name);
    try {
      handedOver = true;
      return await applyLocked(o, valid, backend, processLock.hold);
    } finally {
      processLock.release();
    }
  } finally {
    if (backend && !handedOver) await backend.close(false);
  }
}

/** Under the lock(s): plan, refuse, confirm, run. A backend given is closed here, whatever happens. */
async function applyLocked(o: ApplySpecOptions, valid: ValidSpec, backend: StateBackend | undefined, hold: () => void): Promise<ApplyOutcome> {
  let store: LockStore | undefined;
  try {
    const state = backend && { lock: structuredClone(backend.loaded.lock), warnings: [], downloadedElsewhere: backend.downloadedElsewhere };
    const planned = planValidSpec(valid, { endpoint: o.endpoint, maxRunCents: o.maxRunCents, select: o.select, state });
    if (o.savedPlan) checkSavedPlan(o.savedPlan, planned.plan);
    const { plan } = planned;
    o.show?.(planned);
    if (plan.totals.overBudgetCents > 0) throw overBudgetError(plan.totals);
    // Every image a submit will upload is decoded first: nothing undecodable is uploaded, let alone paid for.
    const submitting = new Set(plan.shots.filter((s) => SUBMITTING.has(s.action)).map((s) => s.id));
    await checkImagesDecode(
      planned,
      planned.shots.filter((s) => submitting.has(s.id)),
    );
    checkOutputPlaces(plan.outputDir, plan.placeDir);
    if (!(await o.confirm(planned))) return { kind: 'declined', planned };
    if (plan.totals.toSubmit > 0) {
      // Always quoted before anything is uploaded: never spend more than the plan said (docs/SPEC.md "Live prices").
      const ask = createQuoter(o.client, o.signal);
      // A server that cannot be reached stops the run at its first quote, once, rather than a note per shape
      // (docs/SPEC.md "Live prices").
      const quotes = await quotePlan(async (shape) => stopIfUnreachable(await ask(shape), plan.endpoint), plan);
      o.quoted?.(quotes);
      refuseQuotesAbovePlan(quotes);
    }
    if (plan.totals.toSubmit > 0 && o.checkBalance !== false) await checkBalance(o.client, plan.totals.costCents, plan.endpoint);
    // Before anything is written or swept: a folder of another campaign, or of another lockfile lineage, is refused
    // with no trace left (a lockfile that does not exist yet has a lineage of its own, so a claimed folder refuses it).
    checkClaim(plan.outputDir, { name: plan.name, lineage: planned.lock.lineage }, planned.loaded.file);
    sweepLeftovers(plan.outputDir, planned.loaded.dir, plan.name);
    store = new LockStore(planned.loaded.file, plan.name, { redact: o.client.redact, backend, hold });
    const opened = store;
    let claimed = false;
    try {
      claimOutputFolder(plan.outputDir, { name: plan.name, lineage: opened.lock.lineage, serial: opened.lock.serial }, planned.loaded.file);
      claimed = true;
      const summary = await runApply({
        plan,
        store: opened,
        client: o.client,
        emit: o.emit,
        concurrency: o.concurrency ?? plan.concurrency,
        poll: o.poll,
        settleAfterMs: o.settleAfterMs,
        requestTimeoutMs: o.requestTimeoutMs,
        stopSignal: o.stopSignal,
        signal: o.signal,
      });
      return { kind: 'applied', planned, summary };
    } finally {
      await opened.close();
      // Only a folder this run claimed records its serial: a refused claim is never overwritten.
      if (claimed) writeClaim(plan.outputDir, { name: plan.name, lineage: opened.lock.lineage, serial: opened.lock.serial });
    }
  } finally {
    if (backend && !store) await backend.close(false);
  }
}

/** Name the cap the plan passes, the spec's budget or this run's --max-cost, with the figures behind it. */
function overBudgetError(t: PlanTotals): RenderError {
  const overBudget = t.overSpecBudgetCents;
  const overRun = t.overMaxCostCents;
  const caps: string[] = [];
  if (overBudget > 0)
    caps.push(`over budget by ${usd(overBudget)} (${usd(t.spentCents)} spent before + ${usd(t.costCents)} this apply, budget ${usd(t.budgetCents)})`);
  if (overRun > 0) caps.push(`over --max-cost by ${usd(overRun)} (${usd(t.costCents)} this apply, --max-cost ${usd(t.maxRunCents ?? 0)})`);
  const raise = [overBudget > 0 ? 'budget.max_usd' : '', overRun > 0 ? '--max-cost' : ''].filter(Boolean).join(' and ');
  return new RenderError('OVER_BUDGET', `the plan is ${caps.join(' and ')}: nothing was submitted`, {
    hint: `raise ${raise}, or render fewer shots with --only`,
  });
}

const UNREACHABLE: ReadonlySet<string> = new Set<ErrorCode>(['NETWORK', 'TIMEOUT']);

function unreachable(endpoint: string, code: string, why: string, cause?: unknown): RenderError {
  return new RenderError(code === 'TIMEOUT' ? 'TIMEOUT' : 'NETWORK', `cannot reach ${endpoint} (${why}): nothing was submitted`, {
    hint: 'check the network connection and WAVESPEED_BASE_URL (unset it for the real API), then run again',
    cause,
  });
}

/** A quote that failed because the server cannot be reached at all (not one slow route: a timeout only notes it). */
function stopIfUnreachable(q: Quote, endpoint: string): Quote {
  if (q.kind === 'unavailable' && q.code === 'NETWORK') throw unreachable(endpoint, q.code, q.message);
  return q;
}

/**
 * Check the balance before a big apply (docs/ARCHITECTURE.md "API facts we rely on"). A server without the route is
 * not a reason to stop; a server that cannot be reached at all is: the run stops here, once, before any shot,
 * rather than failing every shot on its own.
 */
async function checkBalance(client: WaveSpeedClient, needCents: number, endpoint: string): Promise<void> {
  let balance: number;
  try {
    balance = await client.balanceCents();
  } catch (err) {
    if (err instanceof RenderError && (err.code === 'AUTH' || err.code === 'FORBIDDEN')) throw err;
    if (err instanceof RenderError && UNREACHABLE.has(err.code)) throw unreachable(endpoint, err.code, err.message, err);
    return;
  }
  if (balance < needCents) {
    throw new RenderError('INSUFFICIENT_BALANCE', `the account balance ${usd(balance)} does not cover this apply's ${usd(needCents)}: nothing was submitted`, {
      hint: 'top up your WaveSpeedAI balance, or apply fewer shots (--only GLOB, --max-cost USD)',
    });
  }
}
