import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { imageSize } from 'image-size';
import { runFfmpeg } from '../util/ffmpeg.js';
import type { MediaStore } from './media.js';

/**
 * The mock's animatic: with ffmpeg, each completed prediction's output is a real H.264 MP4 of the requested
 * duration made from the request's own start image, a slow push-in, cross-fading to the end image when there is
 * one, small (longest side 320 px, the start image's aspect, 12 fps). So a demo's report and cut show the campaign's
 * own framing and timing, for free. The push-in heads to one of nine points picked by the rest of the request (the
 * prompt...), so a new prompt makes a visibly different take. Made when first downloaded, cached by content (start and end image bytes,
 * duration, size) in a bounded map, two at a time. An image the mock cannot read (an external URL: nothing here
 * fetches the internet) gives a plain frame; a failure falls back to the fixed clip.
 */

const LONG_SIDE = 320;
const FPS = 12;
const MAX_CACHED = 128;
const AT_ONCE = 2;
/** The zoom at the end of the push-in (1 = none). */
const PUSH = 0.15;
/** What stands for an image the mock cannot read. */
const PLAIN: Frame = { width: 16, height: 9 };

interface Frame {
  bytes?: Buffer;
  width: number;
  height: number;
}

export class Animatics {
  private readonly cache = new Map<string, Promise<Buffer | undefined>>();
  private running = 0;
  /** ffmpeg runs started: the cache's misses. */
  made = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly ffmpeg: string,
    private readonly media: MediaStore,
    private readonly baseUrl: string,
    private readonly log: (line: string) => void,
  ) {}

  /** The animatic of a prediction's input, or undefined to serve the fixed clip. */
  videoFor(input: Record<string, unknown>): Promise<Buffer | undefined> {
    const start = this.readImage(input.image) ?? PLAIN;
    const end = this.readImage(input.end_image);
    const duration = typeof input.duration === 'number' && input.duration > 0 ? Math.min(input.duration, 60) : 5;
    // The rest of the request picks where the push-in heads, so a changed prompt gives a visibly different take.
    const { image: _i, end_image: _e, duration: _d, ...rest } = input;
    const aim = createHash('sha256').update(JSON.stringify(rest)).digest();
    const focus: [number, number] = [0.25 + (aim[0]! % 3) * 0.25, 0.25 + (aim[1]! % 3) * 0.25];
    const key = createHash('sha256')
      .update(JSON.stringify([hash(start), end && hash(end), duration, focus]))
      .digest('hex');
    const hit = this.cache.get(key);
    if (hit) {
      this.cache.delete(key); // most recently used goes last
      this.cache.set(key, hit);
      return hit;
    }
    const made = this.limited(() => this.make(start, end, duration, focus)).catch((err: unknown) => {
      this.log(`mock: animatic failed, serving the fixed clip: ${err instanceof Error ? err.message : String(err)}`);
      this.cache.delete(key);
      return undefined;
    });
    this.cache.set(key, made);
    if (this.cache.size > MAX_CACHED) this.cache.delete(this.cache.keys().next().value!);
    return made;
  }

  /** An uploaded image of this server, by its download URL; a plain frame for anything else. */
  private readImage(url: unknown): Frame | undefined {
    if (url === undefined) return undefined;
    if (typeof url !== 'string' || !url.startsWith(`${this.baseUrl}/files/media/`)) return PLAIN;
    const id = /^\/files\/media\/([^/]+)\//.exec(new URL(url).pathname)?.[1];
    const file = id === undefined ? undefined : this.media.get(id);
    if (!file) return PLAIN;
    try {
      const { width, height } = imageSize(file.bytes);
      return width > 0 && height > 0 ? { bytes: file.bytes, width, height } : PLAIN;
    } catch {
      return PLAIN; // not an image ffmpeg could read either
    }
  }

  private async limited<T>(work: () => Promise<T>): Promise<T> {
    while (this.running >= AT_ONCE) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.running++;
    try {
      return await work();
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }

  private async make(start: Frame, end: Frame | undefined, seconds: number, [fx, fy]: [number, number]): Promise<Buffer> {
    this.made++;
    const [w, h] = outputSize(start);
    const frames = Math.round(seconds * FPS);
    const dir = mkdtempSync(path.join(tmpdir(), 'render-animatic-'));
    try {
      const args = ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y'];
      const inputs = [start, ...(end ? [end] : [])];
      inputs.forEach((frame, i) => {
        if (frame.bytes) {
          const file = path.join(dir, `in${i}`);
          writeFileSync(file, frame.bytes);
          args.push('-i', file);
        } else {
          args.push('-f', 'lavfi', '-i', `color=c=0x3a3f4b:s=${w}x${h}:r=1:d=1`);
        }
      });
      // Each image is scaled once to the output size and repeated at FPS (one frame more than needed: the 2018
      // build's fps filter drops the last one; -frames:v cuts the clip to length); the cross-fade is made there, and
      // the push-in is one `perspective` of the result: sub-pixel exact, so it cannot jitter, and far cheaper than
      // zoompan on a 4x upscale (whose crop moves in whole pixels).
      const still = (i: number) => `[${i}:v]scale=${w}:${h},setsar=1,loop=loop=${frames}:size=1,settb=1/${FPS},setpts=N,fps=${FPS}`;
      const faded = end
        ? `${still(0)}[a];${still(1)},format=yuva420p,fade=t=in:st=${(seconds * 0.2).toFixed(2)}:d=${(seconds * 0.6).toFixed(2)}:alpha=1[b];[a][b]overlay=format=auto`
        : still(0);
      const graph = `${faded},format=yuv420p,${pushIn(frames, fx, fy)}[v]`;
      const out = path.join(dir, 'out.mp4');
      args.push(
        '-filter_complex',
        graph,
        // One thread each: the mock makes two at once, and at this size threads cost more to start than they save.
        '-filter_complex_threads',
        '1',
        '-map',
        '[v]',
        '-frames:v',
        String(frames),
        '-c:v',
        'libx264',
        '-preset',
        'veryfast',
        '-crf',
        '30',
        '-threads',
        '1',
        '-movflags',
        '+faststart',
        out,
      );
      await runFfmpeg(this.ffmpeg, args, { timeoutMs: 60_000 });
      return readFileSync(out);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

/**
 * The push-in as a `perspective` filter: each frame shows the rectangle of 1/zoom of the picture that closes in on
 * (fx, fy), zoom growing from 1 (the first frame is the whole picture) by PUSH over the clip (`on` counts from 1).
 */
function pushIn(frames: number, fx: number, fy: number): string {
  const zoom = `(1+${PUSH}*(on-1)/${frames})`;
  const [left, top] = [`(W-W/${zoom})*${fx}`, `(H-H/${zoom})*${fy}`];
  const [right, bottom] = [`${left}+W/${zoom}`, `${top}+H/${zoom}`];
  const corners = [left, top, right, top, left, bottom, right, bottom];
  return `perspective=${corners.map((c, i) => `${i % 2 ? 'y' : 'x'}${i >> 1}='${c}'`).join(':')}:eval=frame`;
}

function hash(frame: Frame): string {
  return frame.bytes ? createHash('sha256').update(frame.bytes).digest('hex') : `plain:${frame.width}x${frame.height}`;
}

/** Longest side LONG_SIDE, the image's aspect, even sides (H.264 in yuv420p needs them). */
function outputSize(frame: Frame): [number, number] {
  const even = (n: number) => Math.max(2, Math.round(n / 2) * 2);
  return frame.width >= frame.height
    ? [LONG_SIDE, even((LONG_SIDE * frame.height) / frame.width)]
    : [even((LONG_SIDE * frame.width) / frame.height), LONG_SIDE];
}
