import { isRenderError, RenderError } from '../errors.js';
import { backoffDelayMs } from '../provider/index.js';
import type { PlannedShot } from '../plan/build.js';
import type { RunContext } from './context.js';
import { iso } from './context.js';
import { claimedPredictionIds } from '../lock/takes.js';
import { type Settlement, settleIntent } from './settle.js';

/** How often one shot's submit is sent again after a 429 (a refusal: nothing was created or charged). */
const MAX_RATE_LIMITED = 6;
const SUBMIT_BACKOFF = { maxAttempts: MAX_RATE_LIMITED, baseDelayMs: 1000, maxDelayMs: 30_000, jitter: 1 };
/** How often a lost submit proven never created is sent again in one run. */
const MAX_LOST_RESUBMITS = 2;

/**
 * Submit one shot, paying at most once (docs/ARCHITECTURE.md "Money rules", rules 2-4): reserve the cost, write the
 * intent durably, POST once, record the prediction id the moment it arrives. A 5xx, timeout or dropped connection
 * is an unknown outcome, settled by listing; it is submitted again only once the list proves it never existed.
 * Returns the prediction id, or undefined when the shot was not (or may not have been) submitted.
 */
export async function submitShot(ctx: RunContext, shot: PlannedShot): Promise<string | undefined> {
  for (let lost = 0; lost <= MAX_LOST_RESUBMITS; lost++) {
    if (ctx.stop.reason) {
      ctx.emit({ type: 'skipped', id: shot.id, reason: ctx.stop.reason });
      return undefined;
    }
    try {
      ctx.budget.reserve(shot.costCents, shot.id);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      ctx.emit({ type: 'skipped', id: shot.id, reason });
      return undefined;
    }
    const outcome = await submitOnce(ctx, shot);
    if (outcome !== 'resubmit') return outcome;
  }
  ctx.emit({ type: 'failed', id: shot.id, code: 'UNKNOWN_OUTCOME', message: 'submits kept getting lost; stopped trying' });
  return undefined;
}

async function submitOnce(ctx: RunContext, shot: PlannedShot): Promise<string | 'resubmit' | undefined> {
  let prepared: Awaited<ReturnType<RunContext['uploader']['bodyFor']>>;
  try {
    prepared = await ctx.uploader.bodyFor(shot, ctx.signal);
  } catch (err) {
    ctx.budget.release(shot.costCents);
    fail(ctx, shot.id, err, 'upload failed');
    return undefined;
  }
  const at = ctx.now();
  await ctx.store.record({
    t: 'intent',
    at: iso(at),
    shot: shot.id,
    take: {
      fingerprint: shot.fingerprint,
      endpoint: ctx.endpoint,
      model: ctx.model,
      take: shot.take,
      duration: shot.duration,
      cost_cents: shot.costCents,
      request: shot.contentRequest as unknown as Record<string, unknown>,
      urls: prepared.urls,
      submitted_at: iso(at),
    },
  });
  for (let attempt = 1; ; attempt++) {
    try {
      const prediction = await ctx.client.submit(ctx.model, prepared.body, { signal: ctx.signal });
      // In memory at once; on disk with the next batch. Polling need not wait for it (see LockStore.note).
      ctx.store.note({ t: 'submitted', at: iso(ctx.now()), shot: shot.id, fingerprint: shot.fingerprint, prediction_id: prediction.id });
      ctx.paid.cents += shot.costCents;
      ctx.emit({ type: 'submitted', id: shot.id, predictionId: prediction.id, costCents: shot.costCents });
      return prediction.id;
    } catch (err) {
      if (isRenderError(err, 'RATE_LIMITED') && attempt < MAX_RATE_LIMITED && !ctx.stop.reason) {
        // A 429 is a refusal: nothing exists, so sending the same body again cannot pay twice.
        // Without Retry-After, exponential backoff with full jitter, so refused submits do not retry in lockstep.
        await ctx.sleep(err.retryAfterMs ?? backoffDelayMs(SUBMIT_BACKOFF, attempt, Math.random), ctx.signal);
        continue;
      }
      if (isRenderError(err, 'UNKNOWN_OUTCOME')) {
        await ctx.store.record({ t: 'unknown', at: iso(ctx.now()), shot: shot.id, fingerprint: shot.fingerprint, message: err.message });
        ctx.emit({ type: 'unknown', id: shot.id, message: err.message });
        return settleLost(ctx, shot.id, shot.fingerprint, shot.costCents, prepared.body, at, ctx.now());
      }
      await ctx.store.record({ t: 'refused', at: iso(ctx.now()), shot: shot.id, fingerprint: shot.fingerprint, code: codeOf(err), message: messageOf(err) });
      ctx.budget.release(shot.costCents);
      if (isRenderError(err) && ['INSUFFICIENT_BALANCE', 'AUTH', 'FORBIDDEN'].includes(err.code)) {
        ctx.stop.reason ??= `stopped submitting: ${err.message}`;
      }
      fail(ctx, shot.id, err, 'submit refused');
      return undefined;
    }
  }
}

/**
 * Settle an intent that has no prediction id: wait until the list can be trusted, then look for it.
 * Found: adopt its id. Proven absent: record the refusal and let the caller submit again. Unknowable: keep
 * the money reserved and leave the shot for the user (the next apply tries again).
 */
export async function settleLost(
  ctx: RunContext,
  shotId: string,
  fingerprint: string,
  costCents: number,
  body: Record<string, unknown>,
  since: number,
  givenUpAt: number,
): Promise<string | 'resubmit' | undefined> {
  // A server can still create the prediction after the client gave up on the request: the clock that counts
  // is the give-up time, not the intent's.
  const wait = givenUpAt + ctx.settleAfterMs - ctx.now();
  if (wait > 0) await ctx.sleep(wait, ctx.signal);
  // One settlement at a time, from listing to recording the adopted id: lost submits of identical bodies (the
  // same shot rendered as several variants) would otherwise all adopt the first match and orphan the rest.
  const result = await ctx.settling(async () => {
    let r: Settlement;
    try {
      r = await settleIntent(ctx.client, { model: ctx.model, body, since, now: ctx.now(), claimed: claimedPredictionIds(ctx.store.lock), signal: ctx.signal });
    } catch (err) {
      fail(ctx, shotId, err, 'could not list predictions to settle a lost submit; `render apply` again settles it');
      return undefined;
    }
    if (r.kind === 'found') await ctx.store.record({ t: 'submitted', at: iso(ctx.now()), shot: shotId, fingerprint, prediction_id: r.prediction.id });
    return r;
  });
  if (!result) return undefined;
  if (result.kind === 'found') {
    ctx.emit({ type: 'settled', id: shotId, predictionId: result.prediction.id, outcome: 'found', message: 'the lost submit was created: following it' });
    return result.prediction.id;
  }
  if (result.kind === 'none') {
    await ctx.store.record({ t: 'refused', at: iso(ctx.now()), shot: shotId, fingerprint, code: 'NOT_CREATED', message: 'lost submit never created' });
    ctx.budget.release(costCents);
    ctx.emit({ type: 'settled', id: shotId, outcome: 'none', message: 'the lost submit was never created: submitting again' });
    return 'resubmit';
  }
  ctx.emit({ type: 'settled', id: shotId, outcome: 'unknowable', message: result.reason });
  ctx.emit({
    type: 'failed',
    id: shotId,
    code: 'UNKNOWN_OUTCOME',
    message: `submit outcome unknown (${result.reason}); not paying again blindly`,
    hint: 'check the WaveSpeed dashboard; `render apply` again retries the settlement',
  });
  return undefined;
}

export function fail(ctx: RunContext, id: string, err: unknown, what: string): void {
  const e = err instanceof RenderError ? err : undefined;
  ctx.emit({ type: 'failed', id, code: codeOf(err), message: `${what}: ${messageOf(err)}`, hint: e?.hint });
}

const codeOf = (err: unknown): string => (err instanceof RenderError ? err.code : 'INTERNAL');
export const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));
