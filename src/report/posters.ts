import { mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { ReviewModel } from '../plan/review.js';
import { extractPosters, type PosterJob } from '../util/video.js';

/**
 * Posters of the review page: the first frame of each video (current and earlier takes), made with ffmpeg into
 * `<outputs>/.posters/<sha256 prefix>.jpg`. Named by the video's content, so a poster is made once per video and
 * reused by every later report. A video ffmpeg cannot read gets no poster; the failure is returned, never thrown.
 */

export interface Posters {
  /** Video file → its poster, both absolute. */
  posters: Map<string, string>;
  made: number;
  reused: number;
  failed: { video: string; error: string }[];
}

export async function makePosters(model: ReviewModel, ffmpeg: string): Promise<Posters> {
  const dir = path.join(model.placeDir, '.posters');
  const result: Posters = { posters: new Map(), made: 0, reused: 0, failed: [] };
  const todo: PosterJob[] = [];
  const queued = new Set<string>();
  for (const card of model.cards) {
    for (const take of [card.current, ...card.earlier]) {
      if (!take?.video || !take.videoSha256 || result.posters.has(take.video)) continue;
      const poster = path.join(dir, `${take.videoSha256.slice(0, 16)}.jpg`);
      result.posters.set(take.video, poster);
      if (queued.has(poster) || exists(poster)) result.reused++;
      else todo.push({ video: take.video, poster });
      queued.add(poster);
    }
  }
  if (todo.length === 0) return result;
  mkdirSync(dir, { recursive: true });
  const failed = await extractPosters(ffmpeg, todo);
  for (const { job, error } of failed) {
    for (const [video, poster] of result.posters) if (poster === job.poster) result.posters.delete(video);
    result.failed.push({ video: job.video, error });
  }
  result.made = todo.length - failed.length;
  return result;
}

function exists(file: string): boolean {
  try {
    return statSync(file).size > 0;
  } catch {
    return false;
  }
}
