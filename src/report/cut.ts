import type { ReviewModel } from '../plan/review.js';
import { probeVideos } from '../util/ffmpeg.js';
import { type ConcatResult, concatVideos } from '../util/video.js';
import { STATUS_LABELS } from './review-page.js';

/**
 * `render cut`: the current take of every shot, in spec order, joined into one MP4 so the campaign can be watched
 * start to finish. Shots without a video on disk are skipped, each with a note.
 */

export interface CutList {
  inputs: { id: string; file: string; duration: number }[];
  skipped: { id: string; why: string }[];
}

/** Which files a cut joins, and which shots it skips and why: pure. */
export function cutList(model: ReviewModel): CutList {
  const list: CutList = { inputs: [], skipped: [] };
  for (const card of model.cards) {
    const cur = card.current;
    if (cur?.video) list.inputs.push({ id: card.id, file: cur.video, duration: cur.duration });
    else if (cur && cur.file !== 'none') list.skipped.push({ id: card.id, why: `output file ${cur.file}` });
    else list.skipped.push({ id: card.id, why: STATUS_LABELS[card.status] });
  }
  return list;
}

export interface CutResult extends ConcatResult {
  /** Seconds of the joined files, as ffmpeg reads them. */
  seconds: number;
}

/** Probe every input and join them into `out`. */
export async function cutCampaign(list: CutList, ffmpeg: string, out: string): Promise<CutResult> {
  const infos = await probeVideos(
    ffmpeg,
    list.inputs.map((i) => i.file),
  );
  const inputs = list.inputs.map((i, k) => ({ file: i.file, info: infos[k]! }));
  const joined = await concatVideos(ffmpeg, inputs, out);
  return { ...joined, seconds: inputs.reduce((n, i) => n + i.info.duration, 0) };
}
