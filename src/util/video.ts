import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runFfmpeg, unreadableInput, type VideoInfo } from './ffmpeg.js';

/** Video operations on ffmpeg: a poster frame, and joining files end to end. */

export interface PosterJob {
  video: string;
  /** The JPEG to write. */
  poster: string;
}

/**
 * The first frame of each video as a JPEG at most `width` pixels wide, written atomically (temp file + rename).
 * Several per ffmpeg run (ffmpeg takes about half a second to start); when a run fails, the video ffmpeg named as
 * unreadable is tried alone and the others again together (each alone when it named none), so one unreadable file
 * costs only its own poster, and two more runs. Returns the jobs that failed, with why, in the order given.
 */
export async function extractPosters(bin: string, jobs: readonly PosterJob[], width = 480): Promise<{ job: PosterJob; error: string }[]> {
  const failed: { job: PosterJob; error: string }[] = [];
  for (let i = 0; i < jobs.length; i += POSTERS_PER_RUN) {
    const batch = jobs.slice(i, i + POSTERS_PER_RUN);
    try {
      await posterRun(bin, batch, width);
    } catch (err) {
      if (batch.length === 1) {
        failed.push({ job: batch[0]!, error: err instanceof Error ? err.message : String(err) });
        continue;
      }
      const named = unreadableInput(
        err,
        batch.map((j) => j.video),
      );
      const again = named === undefined ? batch.map((j) => [j]) : [[batch[named]!], batch.filter((_, k) => k !== named)];
      const retried: { job: PosterJob; error: string }[] = [];
      for (const some of again) retried.push(...(await extractPosters(bin, some, width)));
      failed.push(...retried.sort((a, b) => batch.indexOf(a.job) - batch.indexOf(b.job)));
    }
  }
  return failed;
}

const POSTERS_PER_RUN = 16;

async function posterRun(bin: string, jobs: readonly PosterJob[], width: number): Promise<void> {
  const tmp = jobs.map((j) => `${j.poster}.${process.pid}.tmp.jpg`);
  const args = ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y'];
  // One decoding thread per input: each gives one frame, and frame threads would only cost their start (x16).
  for (const j of jobs) args.push('-threads', '1', '-i', j.video);
  tmp.forEach((t, k) => {
    args.push('-map', `${k}:v:0`, '-frames:v', '1', '-vf', `scale='min(${width},iw)':-2`, '-q:v', '5', t);
  });
  try {
    await runFfmpeg(bin, args, { timeoutMs: 30_000 + 5_000 * jobs.length });
    jobs.forEach((j, k) => {
      renameSync(tmp[k]!, j.poster);
    });
  } finally {
    for (const t of tmp) rmSync(t, { force: true });
  }
}

export interface ConcatInput {
  file: string;
  info: VideoInfo;
}

export interface ConcatResult {
  /** `copy`: the files were alike and joined without re-encoding; `encode`: re-encoded to one size and frame rate. */
  mode: 'copy' | 'encode';
  width: number;
  height: number;
}

/**
 * Join videos end to end into `out` (MP4, written to a temp name beside it and renamed). Files alike in codec,
 * size, frame rate and audio are joined by the concat demuxer without re-encoding (fast, lossless); otherwise each is
 * scaled into the most common size (letterboxed, never cropped), brought to one frame rate, given silence where it
 * has no sound while others do, and joined by the concat filter.
 */
export async function concatVideos(bin: string, inputs: readonly ConcatInput[], out: string, timeoutMs = 30 * 60_000): Promise<ConcatResult> {
  if (inputs.length === 0) throw new Error('nothing to join');
  const first = inputs[0]!.info;
  const alike = inputs.every(
    ({ info }) =>
      info.codec === first.codec && info.width === first.width && info.height === first.height && info.fps === first.fps && info.hasAudio === first.hasAudio,
  );
  const tmp = path.join(path.dirname(out), `.${path.basename(out, '.mp4')}.${process.pid}.part.mp4`);
  const work = mkdtempSync(path.join(tmpdir(), 'render-cut-'));
  try {
    let result: ConcatResult;
    if (alike) {
      const list = path.join(work, 'list.txt');
      // The concat demuxer's own quoting: a file name in single quotes, each ' written as '\''.
      writeFileSync(list, inputs.map((i) => `file '${path.resolve(i.file).replace(/'/g, "'\\''")}'\n`).join(''));
      await runFfmpeg(
        bin,
        ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', '-f', 'concat', '-safe', '0', '-i', list, '-c', 'copy', '-movflags', '+faststart', tmp],
        { timeoutMs },
      );
      result = { mode: 'copy', width: first.width, height: first.height };
    } else {
      result = await encodeJoin(bin, inputs, tmp, timeoutMs);
    }
    renameSync(tmp, out);
    return result;
  } finally {
    rmSync(tmp, { force: true });
    rmSync(work, { recursive: true, force: true });
  }
}

async function encodeJoin(bin: string, inputs: readonly ConcatInput[], tmp: string, timeoutMs: number): Promise<ConcatResult> {
  const [width, height] = mostCommon(inputs.map((i) => `${even(i.info.width)}x${even(i.info.height)}`))
    .split('x')
    .map(Number) as [number, number];
  const fps = Number(mostCommon(inputs.map((i) => String(i.info.fps ?? 24))));
  const audio = inputs.some((i) => i.info.hasAudio);
  const graph: string[] = [];
  const pads: string[] = [];
  inputs.forEach(({ info }, i) => {
    graph.push(
      `[${i}:v]scale=${width}:${height}:force_original_aspect_ratio=decrease,pad=${width}:${height}:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=${fps},format=yuv420p[v${i}]`,
    );
    pads.push(`[v${i}]`);
    if (!audio) return;
    graph.push(
      info.hasAudio
        ? `[${i}:a]aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo,apad,atrim=0:${info.duration}[a${i}]`
        : `anullsrc=r=48000:cl=stereo,atrim=0:${info.duration},aformat=sample_fmts=fltp:channel_layouts=stereo[a${i}]`,
    );
    pads.push(`[a${i}]`);
  });
  graph.push(`${pads.join('')}concat=n=${inputs.length}:v=1:a=${audio ? 1 : 0}[v]${audio ? '[a]' : ''}`);
  const args = ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y'];
  // One decoding thread per input: the concat filter reads them one after another and the encoder is the slow
  // part; every input's decoder is opened at the start, so frame threads would be started (and held) per file.
  for (const i of inputs) args.push('-threads', '1', '-i', i.file);
  args.push('-filter_complex', graph.join(';'), '-map', '[v]');
  if (audio) args.push('-map', '[a]', '-c:a', 'aac', '-b:a', '128k');
  args.push('-c:v', 'libx264', '-preset', 'veryfast', '-crf', '20', '-pix_fmt', 'yuv420p', '-movflags', '+faststart', tmp);
  await runFfmpeg(bin, args, { timeoutMs });
  return { mode: 'encode', width, height };
}

function even(n: number): number {
  return n % 2 === 0 ? n : n + 1;
}

/** The most frequent value; the earliest among equals. */
function mostCommon(values: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  let best = values[0]!;
  for (const v of values) if ((counts.get(v) ?? 0) > (counts.get(best) ?? 0)) best = v;
  return best;
}
