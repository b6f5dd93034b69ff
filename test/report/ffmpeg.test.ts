import { chmodSync, existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { findFfmpeg, parseProbe, probeVideo, probeVideos, runFfmpeg, unreadableInput } from '../../src/util/ffmpeg.js';
import { concatVideos, extractPosters } from '../../src/util/video.js';
import { makeWorkspace } from '../helpers/workspace.js';

const DEBIAN = `Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 't.mp4':
  Duration: 00:01:02.50, start: 0.000000, bitrate: 113 kb/s
  Stream #0:0[0x1](und): Video: h264 (High) (avc1 / 0x31637661), yuv420p(progressive), 1280x720 [SAR 1:1 DAR 16:9], 32 kb/s, 23.98 fps, 24 tbr, 12288 tbn (default)
  Stream #0:1[0x2](und): Audio: aac (LC) (mp4a / 0x6134706D), 44100 Hz, mono, fltp, 69 kb/s (default)
At least one output file must be specified`;

const STATIC_2018 = `Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'a.mp4':
  Duration: 00:00:06.00, start: 0.000000, bitrate: 18 kb/s
    Stream #0:0(und): Video: h264 (High) (avc1 / 0x31637661), yuv420p, 180x320 [SAR 1:1 DAR 9:16], 15 kb/s, 12 fps, 12 tbr, 12288 tbn, 24 tbc (default)
At least one output file must be specified`;

describe('ffmpeg, located and read', () => {
  it('reads duration, size, codec, frame rate and sound from what `ffmpeg -i` prints (Debian 5.1 and the 2018 static build)', () => {
    expect(parseProbe(DEBIAN)).toEqual({ duration: 62.5, codec: 'h264', width: 1280, height: 720, fps: 23.98, hasAudio: true });
    expect(parseProbe(STATIC_2018)).toEqual({ duration: 6, codec: 'h264', width: 180, height: 320, fps: 12, hasAudio: false });
    expect(parseProbe('x.png: Invalid data found when processing input')).toBeUndefined();
  });

  it('tells which input ffmpeg stopped at from the error of its run, and none when it named none', () => {
    const files = ['/v/a.mp4', '/v/b a.mp4', '/v/a.mp4.mp4'];
    const stopped = new Error('ffmpeg failed (exit 1): /v/a.mp4.mp4: Invalid data found when processing input');
    expect(unreadableInput(stopped, files)).toBe(2);
    const later = new Error('ffmpeg failed (exit 1): [h264 @ 0x1] error | x | /v/b a.mp4: Invalid data found when processing input');
    expect(unreadableInput(later, files)).toBe(1);
    expect(unreadableInput(new Error('ffmpeg failed (exit 1): Conversion failed!'), files)).toBeUndefined();
  });

  it('RENDER_FFMPEG names the binary, or `none` to go without', () => {
    expect(findFfmpeg({ RENDER_FFMPEG: 'none', PATH: process.env.PATH })).toBeUndefined();
    expect(findFfmpeg({ RENDER_FFMPEG: '/opt/ff/bin/ffmpeg' })).toEqual({ path: '/opt/ff/bin/ffmpeg', source: 'RENDER_FFMPEG' });
  });

  it('finds an executable ffmpeg on PATH, skipping one that cannot be run', () => {
    const ws = makeWorkspace();
    ws.write('no/ffmpeg', 'not executable');
    const bin = ws.write('yes/ffmpeg', '#!/bin/sh\n');
    chmodSync(bin, 0o755);
    expect(findFfmpeg({ PATH: [ws.path('no'), ws.path('yes')].join(path.delimiter) })).toEqual({ path: bin, source: 'PATH' });
  });
});

const ffmpeg = findFfmpeg(process.env);

describe.runIf(ffmpeg)(`video operations on ffmpeg (${ffmpeg?.source ?? 'none found'})`, () => {
  const bin = ffmpeg!.path;
  const ws = makeWorkspace();
  // As small and short as still shows each behaviour: two sizes, lengths that add up to a sum no other mix gives.
  const VIDEOS = { a: ['160x90', 1], b: ['90x160', 1], c1: ['160x90', 1], c2: ['160x90', 2], c3: ['90x160', 1] } as const;
  const file = (name: keyof typeof VIDEOS) => ws.path(`${name}.mp4`);
  /** ffmpeg behind a script that counts its runs. */
  const counted = (name: string) => {
    const script = ws.write(`${name}.sh`, `#!/bin/sh\necho run >> "$0.runs"\nexec '${bin}' "$@"\n`);
    chmodSync(script, 0o755);
    return { bin: script, runs: () => (existsSync(`${script}.runs`) ? readFileSync(`${script}.runs`, 'utf8').split('\n').length - 1 : 0) };
  };

  // All test videos in one ffmpeg run (each run costs about half a second to start); c3 has sound.
  beforeAll(async () => {
    const args = ['-hide_banner', '-loglevel', 'error', '-y'];
    for (const [size, seconds] of Object.values(VIDEOS)) args.push('-f', 'lavfi', '-i', `testsrc=size=${size}:rate=12:duration=${seconds}`);
    args.push('-f', 'lavfi', '-i', 'sine=duration=1');
    Object.keys(VIDEOS).forEach((name, i) => {
      args.push(
        '-map',
        `${i}:v`,
        ...(name === 'c3' ? ['-map', '5:a', '-c:a', 'aac', '-shortest'] : []),
        '-c:v',
        'libx264',
        '-pix_fmt',
        'yuv420p',
        ws.path(`${name}.mp4`),
      );
    });
    await runFfmpeg(bin, args);
  });

  it('makes posters from first frames, several per run, and reports a file it cannot read without failing the others', async () => {
    const [a, b] = [file('a'), file('b')];
    const bad = ws.write('bad.mp4', 'not a video');
    const ff = counted('posters');
    const failed = await extractPosters(ff.bin, [
      { video: a, poster: ws.path('a.jpg') },
      { video: bad, poster: ws.path('bad.jpg') },
      { video: b, poster: ws.path('b.jpg') },
    ]);
    expect(failed.map((f) => f.job.video)).toEqual([bad]);
    expect(failed[0]!.error).toContain(`${bad}: Invalid data found when processing input`);
    expect(ff.runs()).toBe(3); // all three, then the one ffmpeg named alone, then the other two together
    expect(statSync(ws.path('a.jpg')).size).toBeGreaterThan(0);
    expect(statSync(ws.path('b.jpg')).size).toBeGreaterThan(0);
    expect(existsSync(ws.path('bad.jpg'))).toBe(false);
  });

  it('joins alike files without re-encoding, and others into the most common size, with silence where sound is missing', async () => {
    const files = [file('c1'), file('c2')];
    const same = await concatVideos(
      bin,
      files.map((file, i) => ({ file, info: { duration: i + 1, codec: 'h264', width: 160, height: 90, fps: 12, hasAudio: false } })),
      ws.path('same.mp4'),
    );
    expect(same.mode).toBe('copy');
    expect((await probeVideo(bin, ws.path('same.mp4'))).duration).toBeCloseTo(3, 1);

    const mixed = [...files, file('c3')];
    const infos = await probeVideos(bin, mixed);
    expect(infos.map((i) => [i.width, i.height, i.hasAudio])).toEqual([
      [160, 90, false],
      [160, 90, false],
      [90, 160, true],
    ]);
    const joined = await concatVideos(
      bin,
      mixed.map((file, i) => ({ file, info: infos[i]! })),
      ws.path('mixed.mp4'),
    );
    expect(joined).toEqual({ mode: 'encode', width: 160, height: 90 });
    const out = await probeVideo(bin, ws.path('mixed.mp4'));
    expect(out).toMatchObject({ width: 160, height: 90, hasAudio: true });
    expect(out.duration).toBeCloseTo(4, 1);
  });

  it('names the file it cannot read when probing many', async () => {
    const good = file('a');
    const bad = ws.write('p-bad.mp4', 'nope');
    const ff = counted('probe');
    await expect(probeVideos(ff.bin, [good, bad, file('b')])).rejects.toThrow(`${bad}: not a video ffmpeg can read`);
    expect(ff.runs()).toBe(2); // all three, then the one it did not read, alone
  });
});
