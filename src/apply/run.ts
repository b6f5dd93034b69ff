import { mkdirSync } from 'node:fs';
import pLimit from 'p-limit';
import path from 'node:path';
import type { Plan, PlannedShot } from '../plan/build.js';
import { spentCents } from '../lock/takes.js';
import type { PollPolicy, WaveSpeedClient } from '../provider/index.js';
import { BudgetGuard } from './budget.js';
import type { RunContext } from './context.js';
import type { ApplySummary, Emit } from './events.js';
import { downloadShot, followShot } from './follow.js';
import type { LockStore } from '../lock/store.js';
import { fail, settleLost, submitShot } from './submit.js';
import { Uploader } from './uploads.js';
import { sleep } from '../util/sleep.js';

export interface RunApplyOptions {
  plan: Plan;
  store: LockStore;
  client: WaveSpeedClient;
  emit: Emit;
  concurrency: number;
  poll?: Partial<PollPolicy>;
  /** Trust "not in the list" for a lost submit only this long after its request was given up (default 60 s). */
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
 * Apply a plan: resume what was in flight, submit what is new with at most `concurrency` predictions in
 * flight, download every output at once. Two limiters, never nested: one holds a slot per prediction in
 * flight (submit, then polls), the other runs downloads after the slot is freed.
 */
export async function runApply(o: RunApplyOptions): Promise<ApplySummary> {
  const started = Date.now();
  const now = o.now ?? Date.now;
  const summary: ApplySummary = { done: 0, failed: [], skipped: [], spentCents: 0, totalSpentCents: 0, elapsedMs: 0, interrupted: false };
  const emit: Emit = (e) => {
    if (e.type === 'failed') summary.failed.push({ id: e.id, code: e.code, message: e.message });
    if (e.type === 'skipped') summary.skipped.push({ id: e.id, reason: e.reason });
    if (e.type === 'done') summary.done++;
    o.emit(e);
  };
  const t = o.plan.totals;
  const spentBefore = spentCents(o.store.lock, o.plan.endpoint);
  const limit = Math.min(t.budgetCents - spentBefore, t.maxRunCents ?? Infinity);
  const ctx: RunContext = {
    client: o.client,
    store: o.store,
    budget: new BudgetGuard(Math.max(0, limit)),
    emit,
    uploader: new Uploader(o.client, o.store, o.plan.endpoint, now, { onUpload: (u) => emit({ type: 'upload', ...u }) }),
    endpoint: o.plan.endpoint,
    model: o.plan.model,
    specDir: path.dirname(o.plan.specFile),
    outputDir: o.plan.outputDir,
    poll: o.poll ?? {},
    settleAfterMs: o.settleAfterMs ?? 60_000,
    requestTimeoutMs: o.requestTimeoutMs ?? 60_000,
    now,
    sleep: o.sleep ?? sleep,
    stop: {},
    signal: o.signal,
    downloads: pLimit(o.downloadConcurrency ?? 8),
    settling: pLimit(1),
    paid: { cents: 0 },
  };
  const onStop = () => {
    ctx.stop.reason ??= 'interrupted: no new submits';
    summary.interrupted = true;
  };
  o.stopSignal?.addEventListener('abort', onStop, { once: true });
  if (o.stopSignal?.aborted) onStop();

  const work = o.plan.shots.filter((s) => s.action !== 'unchanged' && s.action !== 'blocked');
  emit({
    type: 'start',
    shots: o.plan.shots.length,
    toSubmit: t.toSubmit,
    toResume: work.length - t.toSubmit,
    costCents: t.costCents,
    concurrency: o.concurrency,
    endpoint: o.plan.endpoint,
  });
  if (work.length > 0) mkdirSync(o.plan.outputDir, { recursive: true }); // once, not per download
  const inFlight = pLimit(o.concurrency);
  // Resumes first: they are paid for already and free a slot soonest.
  const ordered = [...work.filter((s) => s.action === 'resume'), ...work.filter((s) => s.action !== 'resume')];
  await Promise.all(ordered.map((shot) => renderShot(ctx, shot, inFlight)));
  o.stopSignal?.removeEventListener('abort', onStop);

  await o.store.flush();
  summary.io = o.store.stats();
  summary.spentCents = ctx.paid.cents;
  summary.totalSpentCents = spentCents(o.store.lock, o.plan.endpoint);
  summary.elapsedMs = Date.now() - started;
  emit({ type: 'summary', summary });
  return summary;
}

async function renderShot(ctx: RunContext, shot: PlannedShot, inFlight: ReturnType<typeof pLimit>): Promise<void> {
  try {
    const completed = await inFlight(async () => {
      const entry = ctx.store.lock.shots[shot.id];
      if (shot.action === 'resume' && entry?.status === 'completed') return true; // only the download is missing
      const id = shot.action === 'resume' ? await resumeId(ctx, shot) : await submitShot(ctx, shot);
      if (!id) return false;
      return (await followShot(ctx, shot, id, shot.action === 'resume')) !== undefined;
    });
    if (!completed) return;
    const take = ctx.store.lock.shots[shot.id];
    if (take && (await ctx.downloads(() => downloadShot(ctx, shot.id, take)))) ctx.emit({ type: 'done', id: shot.id });
  } catch (err) {
    fail(ctx, shot.id, err, 'stopped');
  }
}

/** The prediction id of a shot an earlier run left in flight; a lost submit is settled by listing first. */
async function resumeId(ctx: RunContext, shot: PlannedShot): Promise<string | undefined> {
  const entry = ctx.store.lock.shots[shot.id];
  if (!entry) return undefined;
  if (entry.prediction_id) return entry.prediction_id;
  // An intent without an id: its cost was counted as spent before this run; it is in flight in this one now.
  ctx.budget.adopt(entry.cost_cents);
  const body = { ...entry.request, ...(entry.urls ?? {}) };
  const since = Date.parse(entry.submitted_at ?? new Date(0).toISOString());
  // The killed run may have waited on that request for a whole deadline before giving up on it.
  const settled = await settleLost(ctx, shot.id, entry.fingerprint, entry.cost_cents, body, since, since + ctx.requestTimeoutMs);
  if (settled !== 'resubmit') return settled;
  if (entry.fingerprint !== shot.fingerprint) return undefined; // inputs changed since: the next apply renders them
  return submitShot(ctx, shot.costCents === 0 ? { ...shot, costCents: entry.cost_cents } : shot);
}
