import { access, mkdir, rename } from 'node:fs/promises';
import path from 'node:path';
import { isRenderError, RenderError } from '../errors.js';
import { failedPredictionError, type Prediction } from '../provider/index.js';
import type { PlannedShot } from '../plan/build.js';
import { iso, type RunContext } from './context.js';
import type { LockOutput, LockTake } from '../lock/schema.js';
import { takeById } from '../lock/takes.js';
import { fail, messageOf } from './submit.js';

/**
 * Follow a prediction to a final status, recording each change. Returns the completed prediction, or
 * undefined when it failed (recorded; refunded by the server) or could not be followed (left as it is for
 * the next apply to resume, never resubmitted).
 */
export async function followShot(ctx: RunContext, shot: PlannedShot, predictionId: string, resumed: boolean): Promise<Prediction | undefined> {
  let last = '';
  let prediction: Prediction;
  try {
    prediction = await ctx.client.waitForResult(predictionId, {
      policy: ctx.poll,
      signal: ctx.signal,
      immediate: resumed,
      onPoll: (p) => {
        if (p.status === last) return;
        last = p.status;
        ctx.emit({ type: 'status', id: shot.id, predictionId, status: p.status });
        if (p.status === 'processing') ctx.store.note({ t: 'status', at: iso(ctx.now()), shot: shot.id, prediction_id: predictionId, status: 'processing' });
      },
    });
  } catch (err) {
    if (isRenderError(err, 'NOT_FOUND')) {
      // The server no longer knows it (deleted after 7 days, or a mock server that restarted): it is gone.
      await recordFailed(ctx, shot.id, predictionId, { code: 'NOT_FOUND', message: `prediction ${predictionId} no longer exists on the server` });
    }
    fail(ctx, shot.id, err, `could not follow prediction ${predictionId} (recorded; \`render apply\` again resumes it)`);
    return undefined;
  }
  if (prediction.status === 'completed') {
    ctx.store.note({ t: 'status', at: iso(ctx.now()), shot: shot.id, prediction_id: predictionId, status: 'completed', outputs: prediction.outputs });
    return prediction;
  }
  const err = failedPredictionError(prediction, ctx.client.redact);
  // Forgotten before the failure is recorded: a crash in between re-polls the failure, never reuses the URL.
  if (prediction.taskCode === 1402) await ctx.uploader.forget(uploadUrlsOf(ctx, shot, predictionId));
  await recordFailed(ctx, shot.id, predictionId, { code: err.code, task_code: prediction.taskCode, message: prediction.error ?? err.message });
  ctx.emit({ type: 'failed', id: shot.id, code: err.code, message: err.message, hint: err.hint });
  return undefined;
}

/** The upload URLs a take sent (recorded with its intent); for a lockfile without them, the shot's current uploads. */
function uploadUrlsOf(ctx: RunContext, shot: PlannedShot, predictionId: string): string[] {
  const take = takeById(ctx.store.lock.shots[shot.id], predictionId);
  if (take?.urls) return Object.values(take.urls);
  return shot.images.flatMap((img) => ctx.store.lock.uploads[img.sha256]?.url ?? []);
}

async function recordFailed(ctx: RunContext, shot: string, predictionId: string, error: { code: string; task_code?: number; message: string }): Promise<void> {
  await ctx.store.record({ t: 'status', at: iso(ctx.now()), shot, prediction_id: predictionId, status: 'failed', error });
}

/**
 * Download every output of a completed take at once (the server deletes them after 7 days), verify each is
 * an MP4, and only then put it in place; an earlier take's file with the same name is moved to `.takes/`
 * first, never deleted (docs/ARCHITECTURE.md "Money rules", rule 5).
 */
export async function downloadShot(ctx: RunContext, shotId: string, take: LockTake): Promise<boolean> {
  const urls = take.remote_outputs ?? take.outputs.map((o) => o.url);
  if (!take.prediction_id || urls.length === 0) {
    ctx.emit({ type: 'failed', id: shotId, code: 'BAD_RESPONSE', message: 'the completed prediction has no output URL' });
    return false;
  }
  const outputs: LockOutput[] = [];
  try {
    for (const [i, url] of urls.entries()) {
      const dest = path.join(ctx.outputDir, i === 0 ? `${shotId}.mp4` : `${shotId}-${i + 1}.mp4`);
      const rel = toRel(ctx, dest);
      // An earlier take that owns the name is moved aside (and recorded) first: never overwritten.
      await moveEarlierTake(ctx, shotId, take.prediction_id, rel, dest);
      // Checked before it is renamed into place: a file that is not an MP4 never takes the output's name.
      const result = await ctx.client.download(url, dest, { signal: ctx.signal, check: checkMp4 });
      outputs.push({ url, path: rel, sha256: result.sha256, bytes: result.bytes });
      ctx.emit({ type: 'downloaded', id: shotId, path: dest, bytes: result.bytes, sha256: result.sha256 });
    }
  } catch (err) {
    if (isRenderError(err, 'NOT_FOUND')) {
      await markOutputGone(ctx, shotId, take.prediction_id, messageOf(err));
    }
    fail(ctx, shotId, err, 'download failed (the prediction is paid and recorded; `render apply` again downloads it)');
    return false;
  }
  await ctx.store.record({ t: 'output', at: iso(ctx.now()), shot: shotId, prediction_id: take.prediction_id, outputs });
  return true;
}

function markOutputGone(ctx: RunContext, shot: string, predictionId: string, message: string): Promise<void> {
  const at = iso(ctx.now());
  return ctx.store.record({ t: 'gone', at, shot, prediction_id: predictionId, message: `output deleted on the server before it was downloaded: ${message}` });
}

/** If an earlier take of this shot owns the file name, move its file aside and record where it went. */
async function moveEarlierTake(ctx: RunContext, shotId: string, predictionId: string, rel: string, dest: string): Promise<void> {
  const shot = ctx.store.lock.shots[shotId];
  // The latest take that claims the name owns the file: an older claim is stale (its file was gone when a later
  // take took the name), and moving the file under the older take's name would mislabel whose video it is.
  const owner = shot?.history.findLast((t) => t.prediction_id !== predictionId && t.outputs.some((o) => o.path === rel));
  if (!owner?.prediction_id) return;
  const aside = path.join(ctx.outputDir, '.takes', `${path.basename(dest, '.mp4')}.take-${owner.take}-${owner.prediction_id.slice(0, 12)}.mp4`);
  await mkdir(path.dirname(aside), { recursive: true });
  try {
    await rename(dest, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    // Not at its name: gone, or already moved by a run killed before it could record the move (the aside
    // name carries this take's prediction id, so a file there is this take's): record where it is.
    if (!(await exists(aside))) return;
  }
  await ctx.store.record({ t: 'moved', at: iso(ctx.now()), shot: shotId, prediction_id: owner.prediction_id, from: rel, to: toRel(ctx, aside) });
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

/** An MP4 (ISO BMFF) file has `ftyp` at bytes 4..8. */
function checkMp4(head: Buffer, bytes: number): void {
  if (bytes < 12 || head.toString('latin1', 4, 8) !== 'ftyp') {
    throw new RenderError('DOWNLOAD_FAILED', `the downloaded output is not an MP4 video (${bytes} bytes)`, {
      hint: 'the server sent something else; `render apply` again downloads it anew',
    });
  }
}

function toRel(ctx: RunContext, abs: string): string {
  return path.relative(ctx.specDir, abs).split(path.sep).join('/');
}
