#!/usr/bin/env node
/**
 * Makes fixtures/mock-output.mp4, the video the mock server (src/mock) hands back as every prediction's output.
 * It was run once and the ~4 KB result committed, so neither CI nor users need ffmpeg (docs/ARCHITECTURE.md
 * "Library facts").
 *
 * A 2.00 s, 320x180, 25 fps, H.264 yuv420p, +faststart clip: a red square on navy that slowly zooms in, so the
 * first and last frames differ (a player, or a frame-diff check, shows it is a real video, not one still).
 *
 * How it was made (ffmpeg 2018 static build with libx264, shipped inside the npm package):
 *   mkdir -p /tmp/fftool && cd /tmp/fftool && npm i --no-save @ffmpeg-installer/ffmpeg
 *   NODE_PATH=/tmp/fftool/node_modules node scripts/make-mock-video.mjs        # or FFMPEG_PATH=/path/to/ffmpeg
 * Installing into a scratch directory keeps the 68 MB binary out of the project's node_modules and lockfile.
 */
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const out = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'mock-output.mp4');

function findFfmpeg() {
  if (process.env.FFMPEG_PATH) return process.env.FFMPEG_PATH;
  // createRequire honours NODE_PATH (import does not), so a scratch install works.
  const require = createRequire(import.meta.url);
  try {
    return require('@ffmpeg-installer/ffmpeg').path;
  } catch {
    console.error('ffmpeg not found: `npm i --no-save @ffmpeg-installer/ffmpeg` (or set FFMPEG_PATH), then retry.');
    process.exit(2);
  }
}

// One 1280x720 still (navy background, red square), zoomed 1.0 → 1.2 over 50 frames down to 320x180.
const still = 'color=c=0x1d3557:s=1280x720:r=1:d=1,drawbox=x=480:y=200:w=320:h=320:color=0xe63946:t=fill';
const zoom = "zoompan=z='min(zoom+0.004,1.2)':d=50:x='iw/2-(iw/zoom/2)':y='ih/2-(ih/zoom/2)':s=320x180:fps=25";
const args = [
  '-hide_banner',
  '-loglevel',
  'error',
  '-y',
  '-f',
  'lavfi',
  '-i',
  still,
  '-vf',
  zoom,
  '-frames:v',
  '50',
  '-c:v',
  'libx264',
  '-preset',
  'veryfast',
  '-crf',
  '28',
  '-pix_fmt',
  'yuv420p',
  '-movflags',
  '+faststart',
  // No encoder/creation-time metadata: re-running the script gives the same bytes.
  '-map_metadata',
  '-1',
  '-fflags',
  '+bitexact',
  '-flags:v',
  '+bitexact',
  out,
];
execFileSync(findFfmpeg(), args, { stdio: 'inherit' });
console.log(`${out}: ${statSync(out).size} bytes`);
