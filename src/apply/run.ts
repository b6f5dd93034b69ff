import { mkdirSync } from 'node:fs';
import path from 'node:path';
import pLimit from 'p-limit';
import type { LockStore } from '../lock/store.js';
import { isOpen, openIntents, shotState, spentCents, takeByN } from '../lock/takes.js';
import type { Plan, PlannedShot } from '../plan/build.js';
import type { PollPolicy, WaveSpeedClient } from '../provider/index.js';
import { sleep } from '../util/sleep.js';
import { BudgetGuard } from './budget.js';
import { InFlight, type RunContext } from './context.js';
import type { ApplySummary, Emit } from './events.js';
import { fetchPaidTakes, takeKey } from './fetch.js';
import { downloadTake, followTake } from './follow.js';
import { submitOrder } from './order.js';
import { moveTakeInPlace } from './outputs.js';
import { fail } from './report.js';
import { learnFromLock, RenderModel } from './render-model.js';
import { reportUnknown, settleOpenIntents, submitShot } from './submit.js';
import { SubmitPacer } from './submit-pacer.js';
import { Uploader } from './uploads.js';

export interface RunApplyOptions {
  plan: Plan;
  store: LockStore;
  client: WaveSpeedClient;
  emit: Emit;
  concurrency: number;
  poll?: Partial<PollPolicy>;
  /** How long after a submit was given up the server's list is first asked for it (default 60 s). */
  settleAfterMs?: number;
  /** The client's per-request deadline (default 60 s): an earlier run's lost submit was given up by intent + this. */
  requestTimeoutMs?: number;
  /** First Ctrl-C: no new submits, in-flight work finishes and is recorded. */
  stopSignal?: AbortSignal;
  /** Hard stop: polls and downloads are abandoned too (all already recorded; a rerun resumes). */
  signal?: AbortSignal;
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Parallel downloads (default 8). */
  downloadConcurrency?: number;
}

/**
 * Apply a plan (docs/ARCHITECTURE.md "Data flow"): settle what earlier runs left unknown, resume what was in
 * flight, restore earlier takes, submit what is new with at most `concurrency` predictions in flight, download
 * every output at once. Two limiters, never nested: one holds a slot per prediction in flight (submit, then
 * polls), the other runs downloads after the slot is freed.
 */
export async function runApply(o: RunApplyOptions): Promise<ApplySummary> {
  const started = Date.now();
  const now = o.now ?? Date.now;
  const { plan } = o;
  const summary: ApplySummary = {
    done: 0,
    fetched: 0,
    failed: [],
    skipped: [],
    unknown: [],
    kept: [],
    spentCents: 0,
    chargedCents: 0,
    refundedCents: 0,
    totalSpentCents: 0,
    elapsedMs: 0,
    interrupted: false,
  };
  const emit: Emit = (e) => {
    if (e.type === 'failed') summary.failed.push({ id: e.id, code: e.code, message: e.message, ...(e.taskCode === undefined ? {} : { taskCode: e.taskCode }) });
    if (e.type === 'skipped') summary.skipped.push({ id: e.id, reason: e.reason });
    if (e.type === 'kept') summary.kept.push({ from: e.from, path: e.path });
    if (e.type === 'done') summary.done++;
    if (e.type === 'fetched') summary.fetched++;
    o.emit(e);
  };
  const t = plan.totals;
  const spentBefore = spentCents(o.store.lock, plan.endpoint);
  const renderTimes = new RenderModel();
  learnFromLock(renderTimes, o.store.lock, plan.endpoint);
  const limit = Math.min(t.budgetCents - spentBefore, t.maxRunCents ?? Infinity);
  const ctx: RunContext = {
    client: o.client,
    store: o.store,
    budget: new BudgetGuard(Math.max(0, limit)),
    emit,
    uploader: new Uploader(o.client, o.store, plan.endpoint, now, { onUpload: (u) => emit({ type: 'upload', ...u }) }),
    endpoint: plan.endpoint,
    model: plan.model,
    specDir: path.dirname(plan.specFile),
    outputDir: plan.outputDir,
    placeDir: plan.placeDir,
    poll: o.poll ?? {},
    renderTimes,
    pacer: new SubmitPacer({ now, sleep: o.sleep ?? sleep }),
    settleAfterMs: o.settleAfterMs ?? 60_000,
    requestTimeoutMs: o.requestTimeoutMs ?? 60_000,
    now,
    sleep: o.sleep ?? sleep,
    stop: {},
    holds: new Map(),
    submitting: new InFlight(),
    signal: o.signal,
    downloads: pLimit(o.downloadConcurrency ?? 8),
    settling: pLimit(1),
  };
  const onStop = () => {
    ctx.stop.reason ??= 'interrupted: no new submits';
    ctx.pacer.halt();
    summary.interrupted = true;
  };
  o.stopSignal?.addEventListener('abort', onStop, { once: true });
  if (o.stopSignal?.aborted) onStop();

  const work = plan.shots.filter((s) => s.action !== 'unchanged' && s.action !== 'blocked');
  const toSubmit = work.filter((s) => s.costCents > 0).length;
  emit({
    type: 'start',
    shots: plan.shots.length,
    toSubmit,
    toResume: work.filter((s) => s.action === 'resume').length,
    toRestore: work.filter((s) => s.action === 'restore').length,
    toFetch: plan.fetch.length,
    costCents: t.costCents,
    concurrency: o.concurrency,
    endpoint: plan.endpoint,
  });
  const runStartedAt = now();
  if (work.length > 0 || plan.fetch.length > 0) mkdirSync(plan.placeDir, { recursive: true }); // once, not per download
  // Submits earlier runs left unknown are looked for first, all in one listing (positive evidence only).
  if (work.some((s) => s.action === 'resume' && isOpenIntent(ctx, s))) {
    // An earlier run may have given its request up moments ago: the list is asked settleAfter after that.
    await ctx.sleep(Math.max(0, Math.min(ctx.settleAfterMs, latestGiveUp(ctx) + ctx.settleAfterMs - now())), ctx.signal);
    await settleOpenIntents(ctx).catch((err: unknown) => {
      for (const s of work.filter((w) => isOpenIntent(ctx, w))) fail(ctx, s.id, err, "could not look for an earlier lost submit in the server's list");
    });
  }
  const inFlight = pLimit(o.concurrency);
  // Resumes first (paid already, they free a slot soonest), then the longest expected renders first.
  const ordered = submitOrder(work, plan.model, renderTimes);
  const dealtWith = new Set<string>();
  await Promise.all(ordered.map((shot) => renderShot(ctx, shot, inFlight, dealtWith)));
  if (!ctx.signal?.aborted) await fetchPaidTakes(ctx, dealtWith, inFlight);
  o.stopSignal?.removeEventListener('abort', onStop);

  await o.store.flush();
  fillMoney(summary, ctx, spentBefore, runStartedAt);
  summary.io = o.store.stats();
  summary.elapsedMs = Date.now() - started;
  emit({ type: 'summary', summary });
  return summary;
}

/** When the latest open intent of the endpoint was (or, for a killed run's, would have been) given up. */
function latestGiveUp(ctx: RunContext): number {
  let latest = 0;
  for (const { take } of openIntents(ctx.store.lock, ctx.endpoint)) {
    const givenUp = take.given_up_at ? Date.parse(take.given_up_at) : Date.parse(take.submitted_at) + ctx.requestTimeoutMs;
    latest = Math.max(latest, givenUp);
  }
  return latest;
}

function isOpenIntent(ctx: RunContext, shot: PlannedShot): boolean {
  const take = takeByN(shotState(ctx.store.lock, ctx.endpoint, shot.id), shot.takeN);
  return take !== undefined && isOpen(take);
}

async function renderShot(ctx: RunContext, shot: PlannedShot, inFlight: ReturnType<typeof pLimit>, dealtWith: Set<string>): Promise<void> {
  if (shot.takeN !== undefined) dealtWith.add(takeKey(shot.id, shot.takeN));
  try {
    if (shot.action === 'restore') return await restoreShot(ctx, shot);
    const outcome = await inFlight(async () => {
      const n = shot.action === 'resume' ? resumable(ctx, shot) : await submitShot(ctx, shot);
      if (n === undefined) return undefined;
      dealtWith.add(takeKey(shot.id, n));
      const take = takeByN(shotState(ctx.store.lock, ctx.endpoint, shot.id), n);
      if (take?.status === 'completed') return { n }; // only the download is missing
      const prediction = await followTake(ctx, shot.id, n, shot.action === 'resume');
      return prediction ? { n, prediction } : undefined;
    });
    if (!outcome) return;
    const current = await takeCurrent(ctx, shot, outcome.n);
    const placed = await ctx.downloads(() => downloadTake(ctx, shot.id, outcome.n, current, outcome.prediction));
    if (placed && current) ctx.emit({ type: 'done', id: shot.id });
    else if (placed)
      ctx.emit({
        type: 'skipped',
        id: shot.id,
        reason: `an earlier take finished and was kept in .takes/; the inputs changed since: \`render apply\` again renders them`,
      });
  } catch (err) {
    fail(ctx, shot.id, err, 'stopped');
  }
}

/**
 * Whether a finished take goes under the shot's output names: it is the shot's current take, or it has the inputs
 * the spec asks for now (an earlier lost submit, found and followed), in which case it becomes current. Otherwise
 * (the spec moved on while it was in flight) it is kept in `.takes/`.
 */
async function takeCurrent(ctx: RunContext, shot: PlannedShot, n: number): Promise<boolean> {
  const entry = shotState(ctx.store.lock, ctx.endpoint, shot.id);
  if (entry?.current === n) return true;
  if (takeByN(entry, n)?.fingerprint !== shot.fingerprint) return false;
  await ctx.store.record({ t: 'current', at: new Date(ctx.now()).toISOString(), endpoint: ctx.endpoint, shot: shot.id, n });
  return true;
}

/** The take a `resume` follows: in flight, or an intent settled at the start of the run; else it stays unknown. */
function resumable(ctx: RunContext, shot: PlannedShot): number | undefined {
  const take = takeByN(shotState(ctx.store.lock, ctx.endpoint, shot.id), shot.takeN);
  if (!take) return undefined;
  if (isOpen(take)) {
    reportUnknown(ctx, shot.id, take.n);
    return undefined;
  }
  return take.prediction_id ? take.n : undefined;
}

/** An earlier take with the same inputs becomes current again: its file moved back, or downloaded again. $0. */
async function restoreShot(ctx: RunContext, shot: PlannedShot): Promise<void> {
  const take = takeByN(shotState(ctx.store.lock, ctx.endpoint, shot.id), shot.takeN);
  if (!take) return;
  let placed: string | undefined;
  if (shot.restoreFrom === 'file') placed = await ctx.downloads(() => moveTakeInPlace(ctx, shot.id, take));
  else placed = await ctx.downloads(() => downloadTake(ctx, shot.id, take.n, true));
  if (!placed) return;
  await ctx.store.record({ t: 'current', at: new Date(ctx.now()).toISOString(), endpoint: ctx.endpoint, shot: shot.id, n: take.n });
  ctx.emit({ type: 'restored', id: shot.id, take: take.n, path: path.resolve(ctx.specDir, placed) });
  ctx.emit({ type: 'done', id: shot.id });
}

/** Money of the run, from the lockfile: what its total moved by, the charges made in it, the refunds seen in it. */
function fillMoney(summary: ApplySummary, ctx: RunContext, spentBefore: number, runStartedAt: number): void {
  const after = spentCents(ctx.store.lock, ctx.endpoint);
  let charged = 0;
  for (const [id, entry] of Object.entries(ctx.store.lock.endpoints[ctx.endpoint]?.shots ?? {})) {
    for (const take of entry.takes) {
      // Every submit still of unknown outcome is listed, this run's or an earlier one's: each waits for the user.
      if (isOpen(take)) summary.unknown.push({ id, take: take.n, costCents: take.cost_cents });
      if (Date.parse(take.submitted_at) < runStartedAt) continue;
      if (take.prediction_id || isOpen(take)) charged += take.cost_cents;
    }
  }
  summary.totalSpentCents = after;
  summary.spentCents = after - spentBefore;
  summary.chargedCents = charged;
  summary.refundedCents = Math.max(0, charged - summary.spentCents);
}
