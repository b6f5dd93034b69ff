import path from 'node:path';
import { isRenderError, RenderError } from '../errors.js';
import type { LockOutput, LockTake } from '../lock/schema.js';
import { shotState, takeByN } from '../lock/takes.js';
import { DEFAULT_POLL_POLICY, failedPredictionError, type Prediction } from '../provider/index.js';
import { REDACTED } from '../util/redact.js';
import { iso, type RunContext } from './context.js';
import { clearExtraOutputs, clearPlace, outputName, relToSpec, takeFileName, takesDir } from './outputs.js';
import { LearnedSchedule } from './poll-schedule.js';
import { type RenderKey, shotKind } from './render-model.js';
import { fail, messageOf } from './report.js';

/**
 * Follow a take's prediction to a final status, recording each change. Returns the completed prediction, or
 * undefined when it failed (recorded; refunded by the server) or could not be followed (left as it is for the
 * next apply to resume, never resubmitted).
 */
export async function followTake(ctx: RunContext, shotId: string, n: number, resumed: boolean): Promise<Prediction | undefined> {
  const take = takeByN(shotState(ctx.store.lock, ctx.endpoint, shotId), n);
  const predictionId = take?.prediction_id;
  if (!take || !predictionId) return undefined;
  const ref = { endpoint: ctx.endpoint, shot: shotId, n };
  let last = '';
  let prediction: Prediction;
  const key: RenderKey = { model: take.model, kind: shotKind(take.request), duration: take.duration };
  const policy = { ...DEFAULT_POLL_POLICY, ...ctx.poll };
  const schedule = new LearnedSchedule(ctx.renderTimes, key, Date.parse(take.submitted_at), policy, Math.random);
  try {
    prediction = await ctx.client.waitForResult(predictionId, {
      policy: ctx.poll,
      schedule,
      signal: ctx.signal,
      immediate: resumed,
      onPoll: (p) => {
        if (p.status === last) return;
        last = p.status;
        ctx.emit({ type: 'status', id: shotId, predictionId, status: p.status });
        if (p.status === 'processing') ctx.store.note({ t: 'status', at: iso(ctx.now()), ...ref, status: 'processing' });
      },
    });
  } catch (err) {
    if (isRenderError(err, 'NOT_FOUND')) {
      // The server no longer knows it (deleted after 7 days, or a server that forgot it). It was charged when it was
      // submitted, and nothing says it was refunded: recorded as a failure it would count as a refund, and the
      // budget would no longer see money the account paid. It stays spent, its output gone: the next plan offers
      // `regenerate`, with its cost, as a choice (docs/ARCHITECTURE.md "Money rules").
      const message = `prediction ${predictionId} no longer exists on the server (deleted after 7 days, or the server forgot it): it was paid when submitted, and its output cannot be downloaded`;
      await ctx.store.record({ t: 'status', at: iso(ctx.now()), ...ref, status: 'completed' });
      await ctx.store.record({ t: 'gone', at: iso(ctx.now()), ...ref, message });
      fail(
        ctx,
        shotId,
        err,
        `prediction ${predictionId} is gone from the server (paid and recorded; \`render plan\` shows it as regenerate, with its cost)`,
        'render it again only if you want it: `render apply` asks before paying',
      );
      return undefined;
    }
    fail(ctx, shotId, err, `could not follow prediction ${predictionId} (recorded; \`render apply\` again resumes it)`);
    return undefined;
  }
  if (prediction.status === 'completed') {
    const renderMs = prediction.inferenceMs === undefined ? undefined : Math.round(prediction.inferenceMs);
    // The server's own figure, else what the answers tell of one this run saw start (docs/ARCHITECTURE.md "Polling").
    const learned = renderMs ?? (resumed ? undefined : schedule.runMsUpTo(ctx.now()));
    if (learned !== undefined) ctx.renderTimes.observe(key, learned);
    // Kept in memory as sent (a URL may carry a token the journal must not): the download uses these.
    ctx.store.note({
      t: 'status',
      at: iso(ctx.now()),
      ...ref,
      status: 'completed',
      outputs: prediction.outputs,
      ...(renderMs === undefined ? {} : { render_ms: renderMs }),
    });
    return prediction;
  }
  const err = failedPredictionError(prediction, ctx.client.redact);
  // A 1402 also forgets the take's upload URLs, in this same record (lock/reducer.ts).
  await ctx.store.record({
    t: 'status',
    at: iso(ctx.now()),
    ...ref,
    status: 'failed',
    error: { code: err.code, task_code: prediction.taskCode, message: prediction.error ?? err.message },
  });
  ctx.emit({
    type: 'failed',
    id: shotId,
    code: err.code,
    message: err.message,
    hint: err.hint,
    refundedCents: take.cost_cents,
    ...(prediction.taskCode === undefined ? {} : { taskCode: prediction.taskCode }),
  });
  return undefined;
}

/**
 * Download every output of a completed take at once (the server deletes them after 7 days), verify each is an MP4,
 * and only then put it in place: under the shot's output names when `current`, else under the take's own names in
 * `.takes/`. Whatever stood at a name is moved aside first, never overwritten (outputs.ts).
 */
export async function downloadTake(ctx: RunContext, shotId: string, n: number, current: boolean, fresh?: Prediction): Promise<string | undefined> {
  const take = takeByN(shotState(ctx.store.lock, ctx.endpoint, shotId), n);
  if (!take?.prediction_id) return undefined;
  for (let attempt = 1; ; attempt++) {
    try {
      // After a 404 the output URLs are asked for afresh (a server may have moved them).
      return await downloadOnce(ctx, shotId, take, current, attempt === 1 ? fresh : undefined, attempt > 1);
    } catch (err) {
      if (isRenderError(err, 'NOT_FOUND') && attempt < GONE_AFTER_404S) {
        // One 404 is not "gone": a lagging or faulty server answers it too, and "gone" costs a new render. Asked
        // again after a poll's wait; only a 404 that lasts is recorded.
        await ctx.sleep(ctx.poll.initialMs ?? DEFAULT_POLL_POLICY.initialMs, ctx.signal);
        continue;
      }
      if (isRenderError(err, 'NOT_FOUND')) {
        const message = `output deleted on the server before it was downloaded: ${messageOf(err)}`;
        await ctx.store.record({ t: 'gone', at: iso(ctx.now()), endpoint: ctx.endpoint, shot: shotId, n, message });
        fail(
          ctx,
          shotId,
          err,
          'the output is gone from the server (the prediction is paid and recorded; `render plan` shows it as regenerate, with its cost)',
          'render it again only if you want it: `render apply` asks before paying',
        );
        return undefined;
      }
      fail(ctx, shotId, err, 'download failed (the prediction is paid and recorded; `render apply` again downloads it)');
      return undefined;
    }
  }
}

/** 404s in a row, a poll's wait apart, before an output is taken as deleted on the server. */
const GONE_AFTER_404S = 3;

async function downloadOnce(
  ctx: RunContext,
  shotId: string,
  take: LockTake,
  current: boolean,
  fresh: Prediction | undefined,
  refresh: boolean,
): Promise<string | undefined> {
  const n = take.n;
  let urls = refresh ? [] : (fresh?.outputs ?? take.remote_outputs ?? take.outputs.map((o) => o.url));
  // A URL recorded redacted (the server put the key in it) cannot be fetched: ask the server for it again.
  if (urls.length === 0 || urls.some((u) => u.includes(REDACTED))) urls = (await ctx.client.getResult(take.prediction_id!, { signal: ctx.signal })).outputs;
  if (urls.length === 0) {
    ctx.emit({ type: 'failed', id: shotId, code: 'BAD_RESPONSE', message: 'the completed prediction has no output URL' });
    return undefined;
  }
  const outputs: LockOutput[] = [];
  for (const [i, url] of urls.entries()) {
    const dest = current ? path.join(ctx.placeDir, outputName(shotId, i)) : path.join(takesDir(ctx), takeFileName(shotId, take, i));
    await clearPlace(ctx, dest);
    // Checked before it is renamed into place: a file that is not an MP4 never takes the output's name.
    const result = await ctx.client.download(url, dest, { signal: ctx.signal, check: checkMp4 });
    outputs.push({ url, path: relToSpec(ctx, dest), sha256: result.sha256, bytes: result.bytes });
    ctx.emit({ type: 'downloaded', id: shotId, path: dest, bytes: result.bytes, sha256: result.sha256 });
  }
  await ctx.store.record({ t: 'output', at: iso(ctx.now()), endpoint: ctx.endpoint, shot: shotId, n, outputs });
  if (current) await clearExtraOutputs(ctx, shotId, outputs.length);
  return outputs[0]?.path;
}

/** An MP4 (ISO BMFF) file has `ftyp` at bytes 4..8. */
function checkMp4(head: Buffer, bytes: number): void {
  if (bytes < 12 || head.toString('latin1', 4, 8) !== 'ftyp') {
    throw new RenderError('DOWNLOAD_FAILED', `the downloaded output is not an MP4 video (${bytes} bytes)`, {
      hint: 'the server sent something else; `render apply` again downloads it anew',
    });
  }
}
