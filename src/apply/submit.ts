import { isRenderError } from '../errors.js';
import { claimedPredictionIds, isOpen, nextTakeNumber, openIntents, shotState } from '../lock/takes.js';
import type { PlannedShot } from '../plan/build.js';
import type { Prediction } from '../provider/index.js';
import { iso, type RunContext } from './context.js';
import { codeOf, fail, messageOf } from './report.js';
import { findEvidence, type OpenIntent } from './settle.js';
import type { SubmitTurn } from './submit-pacer.js';

/**
 * How often one shot's submit may be refused with 429 (nothing created or charged) before it is given up: the
 * shared pacer waits out each refusal for every shot, so a shot refused this often means the limit is not ours.
 */
const MAX_RATE_LIMITED = 10;
/** Listings of the server's history after a lost submit: settleAfter after the give-up, then 2 × settleAfter later (a list may lag). */
const SETTLE_ATTEMPTS = 2;

/**
 * Submit one shot, paying at most once (docs/ARCHITECTURE.md "Money rules", rules 2-4): reserve the cost, write
 * the intent durably, POST once, record the prediction id the moment it arrives. A 5xx, a timeout or a cut
 * connection leaves the outcome unknown: the intent is settled only by positive evidence from the server's list,
 * and is never sent again by render (`render forget` declares it never created). Returns the take number once the
 * prediction exists, or undefined when the shot was not (or may not have been) submitted.
 */
export async function submitShot(ctx: RunContext, shot: PlannedShot): Promise<number | undefined> {
  for (let attempt = 1; ; attempt++) {
    await heldBack(ctx);
    if (ctx.stop.reason) {
      ctx.emit({ type: 'skipped', id: shot.id, reason: ctx.stop.reason });
      return undefined;
    }
    try {
      ctx.budget.reserve(shot.costCents, shot.id);
    } catch (err) {
      ctx.emit({ type: 'skipped', id: shot.id, reason: messageOf(err) });
      return undefined;
    }
    const outcome = await submitOnce(ctx, shot);
    // Nothing exists after a 429, so sending the same body again cannot pay twice; the pacer says when.
    if (outcome.kind === 'rate-limited' && attempt < MAX_RATE_LIMITED && !ctx.stop.reason) continue;
    if (outcome.kind === 'rate-limited') fail(ctx, shot.id, outcome.error, 'submit refused');
    return outcome.kind === 'submitted' ? outcome.n : undefined;
  }
}

type SubmitOutcome = { kind: 'submitted'; n: number } | { kind: 'rate-limited'; error: unknown } | { kind: 'none' };
type Prepared = Awaited<ReturnType<RunContext['uploader']['bodyFor']>>;

/** One attempt, its cost reserved: the upload, then a turn of the account's submit rate, then the POST. */
async function submitOnce(ctx: RunContext, shot: PlannedShot): Promise<SubmitOutcome> {
  let prepared: Prepared;
  try {
    prepared = await ctx.uploader.bodyFor(shot, ctx.signal);
  } catch (err) {
    ctx.budget.release(shot.costCents);
    fail(ctx, shot.id, err, 'upload failed');
    return { kind: 'none' };
  }
  // The account's submit rate is shared: a 429 holds every shot's next submit, not just the refused one. The turn is
  // taken after the upload (uploads go on while submits wait) and before the intent (its time is the POST's).
  let turn: SubmitTurn;
  try {
    turn = await ctx.pacer.acquire(ctx.signal);
  } catch (err) {
    ctx.budget.release(shot.costCents);
    throw err;
  }
  try {
    if (ctx.stop.reason) {
      ctx.budget.release(shot.costCents);
      ctx.emit({ type: 'skipped', id: shot.id, reason: ctx.stop.reason });
      return { kind: 'none' };
    }
    return await postOnce(ctx, shot, prepared, turn);
  } finally {
    turn.end('unused'); // a turn not ended by the POST's answer was not used
  }
}

async function postOnce(ctx: RunContext, shot: PlannedShot, prepared: Prepared, turn: SubmitTurn): Promise<SubmitOutcome> {
  const n = nextTakeNumber(shotState(ctx.store.lock, ctx.endpoint, shot.id));
  const ref = { endpoint: ctx.endpoint, shot: shot.id, n };
  try {
    ctx.store.hold();
  } catch (err) {
    // The process lock is another apply's now (`.render/` was deleted under this run): nothing more is spent here.
    ctx.budget.release(shot.costCents);
    ctx.stop.reason ??= `stopped submitting: ${messageOf(err)}`;
    ctx.pacer.halt();
    fail(ctx, shot.id, err, 'not submitted');
    return { kind: 'none' };
  }
  await ctx.store.record({
    t: 'intent',
    at: iso(ctx.now()),
    endpoint: ctx.endpoint,
    shot: shot.id,
    take: {
      n,
      fingerprint: shot.fingerprint,
      model: ctx.model,
      take: shot.take,
      duration: shot.duration,
      cost_cents: shot.costCents,
      request: shot.contentRequest as unknown as Record<string, unknown>,
      urls: prepared.urls,
      submitted_at: iso(ctx.now()),
    },
  });
  let prediction: Prediction;
  ctx.submitting.count++;
  try {
    prediction = await ctx.client.submit(ctx.model, prepared.body, { signal: ctx.signal });
  } catch (err) {
    ctx.submitting.done();
    if (isRenderError(err, 'RATE_LIMITED')) turn.end('rate-limited', err.retryAfterMs);
    else turn.end(isRenderError(err, 'UNKNOWN_OUTCOME') ? 'sent' : 'unused');
    if (isRenderError(err, 'UNKNOWN_OUTCOME')) {
      await ctx.store.record({ t: 'unknown', at: iso(ctx.now()), ...ref, message: err.message });
      ctx.emit({ type: 'unknown', id: shot.id, take: n, costCents: shot.costCents, message: err.message });
      return (await settleLost(ctx, shot.id, n)) ? { kind: 'submitted', n } : { kind: 'none' };
    }
    // A definite refusal (a 4xx): no prediction exists, nothing was charged.
    await ctx.store.record({ t: 'refused', at: iso(ctx.now()), ...ref, code: codeOf(err), message: messageOf(err) });
    ctx.budget.release(shot.costCents);
    if (isRenderError(err, 'RATE_LIMITED')) return { kind: 'rate-limited', error: err };
    if (isRenderError(err) && ['INSUFFICIENT_BALANCE', 'AUTH', 'FORBIDDEN'].includes(err.code)) {
      ctx.stop.reason ??= `stopped submitting: ${err.message}`;
      ctx.pacer.halt();
    }
    fail(ctx, shot.id, err, 'submit refused');
    return { kind: 'none' };
  }
  ctx.submitting.done();
  turn.end('sent');
  await ctx.store.record({ t: 'submitted', at: iso(ctx.now()), ...ref, prediction_id: prediction.id });
  ctx.emit({ type: 'submitted', id: shot.id, predictionId: prediction.id, costCents: shot.costCents });
  return { kind: 'submitted', n };
}

function isOpenTake(ctx: RunContext, shot: string, n: number): boolean {
  const take = shotState(ctx.store.lock, ctx.endpoint, shot)?.takes.find((t) => t.n === n);
  return take !== undefined && isOpen(take);
}

/** Wait while a lost submit of this run's model is being settled. */
async function heldBack(ctx: RunContext): Promise<void> {
  for (let hold = ctx.holds.get(ctx.model); hold; hold = ctx.holds.get(ctx.model)) await hold;
}

/**
 * A submit of this run was lost: hold new submits of the model, let the ones in flight be answered, then ask the
 * server's list (after settleAfter, and twice more as a list may lag creation). Found: the take has its prediction
 * id. Not found: it stays "outcome unknown", counted as spent; the user adopts or forgets it.
 */
async function settleLost(ctx: RunContext, shotId: string, n: number): Promise<boolean> {
  let release!: () => void;
  const hold = new Promise<void>((resolve) => (release = resolve));
  const ours = !ctx.holds.has(ctx.model);
  if (ours) ctx.holds.set(ctx.model, hold);
  try {
    // Submits already sent are answered first: the only unclaimed predictions left in the window are lost ones.
    await ctx.submitting.idle();
    for (let attempt = 1; attempt <= SETTLE_ATTEMPTS; attempt++) {
      await ctx.sleep(ctx.settleAfterMs * attempt, ctx.signal);
      await settleOpenIntents(ctx);
      if (!isOpenTake(ctx, shotId, n)) return true;
      if (ctx.signal?.aborted) break;
    }
    reportUnknown(ctx, shotId, n);
    return false;
  } catch (err) {
    // The shot's state is what matters to the user: its submit is still of unknown outcome, whatever the list said.
    ctx.emit({
      type: 'failed',
      id: shotId,
      code: 'UNKNOWN_OUTCOME',
      message: `could not look for a lost submit in the server's list; it stays outcome unknown: ${messageOf(err)}`,
      hint: unknownHint(shotId),
    });
    return false;
  } finally {
    if (ours) {
      ctx.holds.delete(ctx.model);
      release();
    }
  }
}

/**
 * One listing for every open intent of the endpoint (this run's lost submits and earlier runs' alike), one at a
 * time: a prediction is adopted by at most one intent, and only on positive evidence (settle.ts).
 */
export function settleOpenIntents(ctx: RunContext): Promise<number> {
  return ctx.settling(async () => {
    const intents: OpenIntent[] = openIntents(ctx.store.lock, ctx.endpoint)
      .filter(({ take }) => take.model === ctx.model)
      .map(({ shot, take }) => {
        const sentAt = Date.parse(take.submitted_at);
        const givenUpAt = take.given_up_at ? Date.parse(take.given_up_at) : sentAt + ctx.requestTimeoutMs;
        return { shot, take, body: { ...take.request, ...(take.urls ?? {}) }, sentAt, givenUpAt };
      });
    if (intents.length === 0) return 0;
    const evidence = await findEvidence(ctx.client, {
      model: ctx.model,
      intents,
      claimed: claimedPredictionIds(ctx.store.lock, ctx.endpoint),
      signal: ctx.signal,
    });
    for (const { intent, prediction } of evidence.matches) {
      await ctx.store.record({
        t: 'submitted',
        at: iso(ctx.now()),
        endpoint: ctx.endpoint,
        shot: intent.shot,
        n: intent.take.n,
        prediction_id: prediction.id,
        by: 'list',
      });
      ctx.emit({
        type: 'settled',
        id: intent.shot,
        take: intent.take.n,
        predictionId: prediction.id,
        message: `the lost submit exists as ${prediction.id} (${evidence.inputsShown ? 'matched by its input' : 'the only unclaimed prediction in its time window'}): following it`,
      });
    }
    return evidence.matches.length;
  });
}

function unknownHint(shotId: string): string {
  return `look for it in the WaveSpeed dashboard, then \`render adopt SPEC ${shotId} PREDICTION_ID\` if it exists, or \`render forget SPEC ${shotId}\` if it does not; render never pays for it again on its own`;
}

export function reportUnknown(ctx: RunContext, shotId: string, n: number): void {
  ctx.emit({
    type: 'failed',
    id: shotId,
    code: 'UNKNOWN_OUTCOME',
    message: `submit outcome unknown (take #${n}): no prediction in the server's list can be shown to be it; counted as spent`,
    hint: unknownHint(shotId),
  });
}
