import { execFile } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

/**
 * ffmpeg, optional (docs/ARCHITECTURE.md "Library facts"): `RENDER_FFMPEG` (a path, or `none` to go without), else
 * `ffmpeg` on PATH, else the binary shipped inside the optional npm package `@ffmpeg-installer/ffmpeg` (it installs
 * without a download step; `ffmpeg-static` downloads at install time and fails offline). Always run with an argument
 * array, never through a shell, and with a timeout. Nothing of render here: report, cli and the mock all use it.
 */

export interface Ffmpeg {
  path: string;
  /** Where it was found, for messages: `RENDER_FFMPEG`, `PATH` or `@ffmpeg-installer/ffmpeg`. */
  source: 'RENDER_FFMPEG' | 'PATH' | '@ffmpeg-installer/ffmpeg';
}

/** How to get ffmpeg, for the message shown when it is missing. */
export const FFMPEG_INSTALL_HINT =
  'install ffmpeg (Debian/Ubuntu: apt-get install ffmpeg; macOS: brew install ffmpeg) or the npm package @ffmpeg-installer/ffmpeg, or set RENDER_FFMPEG to its path';

const found = new Map<string, Ffmpeg | undefined>();

/** The ffmpeg to use, or undefined when there is none (cached per RENDER_FFMPEG and PATH). */
export function findFfmpeg(env: Record<string, string | undefined>): Ffmpeg | undefined {
  const key = `${env.RENDER_FFMPEG ?? ''}\0${env.PATH ?? ''}`;
  if (!found.has(key)) found.set(key, locate(env));
  return found.get(key);
}

function locate(env: Record<string, string | undefined>): Ffmpeg | undefined {
  const explicit = env.RENDER_FFMPEG?.trim();
  if (explicit) return /^(none|off|0|false)$/i.test(explicit) ? undefined : { path: explicit, source: 'RENDER_FFMPEG' };
  const names = process.platform === 'win32' ? ['ffmpeg.exe', 'ffmpeg'] : ['ffmpeg'];
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    for (const name of names) {
      const file = path.join(dir, name);
      if (isExecutable(file)) return { path: file, source: 'PATH' };
    }
  }
  try {
    // CommonJS; it throws a string on an unsupported platform or when its platform package is missing.
    const shipped = createRequire(import.meta.url)('@ffmpeg-installer/ffmpeg') as { path?: unknown };
    if (typeof shipped.path === 'string' && isExecutable(shipped.path)) return { path: shipped.path, source: '@ffmpeg-installer/ffmpeg' };
  } catch {
    // not installed (it is optional)
  }
  return undefined;
}

function isExecutable(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

interface FfmpegRun {
  code: number | null;
  stderr: string;
}

export interface RunOptions {
  /** Killed (SIGKILL) after this long; default 2 minutes. */
  timeoutMs?: number;
}

/** Run ffmpeg with these arguments (no shell). Resolves with its exit code and stderr, whatever the code. */
function execFfmpeg(bin: string, args: readonly string[], options: RunOptions = {}): Promise<FfmpegRun> {
  const timeoutMs = options.timeoutMs ?? 120_000;
  return new Promise((resolve, reject) => {
    execFile(
      bin,
      [...args],
      { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 16 * 1024 * 1024, windowsHide: true, encoding: 'utf8' },
      (err, _stdout, stderr) => {
        if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') return reject(new Error(`cannot run ffmpeg at ${bin}: not found`));
        if (err && (err as NodeJS.ErrnoException).code === 'EACCES') return reject(new Error(`cannot run ffmpeg at ${bin}: not executable`));
        if (err?.killed) return reject(new Error(`ffmpeg took longer than ${Math.round(timeoutMs / 1000)} s and was stopped`));
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stderr: String(stderr) });
      },
    );
  });
}

/** Run ffmpeg; a non-zero exit is an Error carrying the last lines it printed. */
export async function runFfmpeg(bin: string, args: readonly string[], options: RunOptions = {}): Promise<void> {
  const run = await execFfmpeg(bin, args, options);
  if (run.code !== 0) throw new Error(`ffmpeg failed (exit ${run.code}): ${tail(run.stderr)}`);
}

const TAIL_SEPARATOR = ' | ';

function tail(stderr: string): string {
  const lines = stderr
    .trim()
    .split('\n')
    .filter((l) => l.trim() !== '');
  return lines.slice(-3).join(TAIL_SEPARATOR) || 'no output';
}

/**
 * Which of a run's input files ffmpeg could not open, by the error `runFfmpeg` threw: ffmpeg stops at the first
 * one, its last line `FILE: why`. The index in `files`, or undefined when it named none.
 */
export function unreadableInput(err: unknown, files: readonly string[]): number | undefined {
  const message = err instanceof Error ? err.message : String(err);
  const last = message
    .split(TAIL_SEPARATOR)
    .at(-1)!
    .replace(/^ffmpeg failed \(exit [^)]*\): /, '');
  const k = files.findIndex((f) => last.startsWith(`${f}: `));
  return k < 0 ? undefined : k;
}

/** What `ffmpeg -i FILE` says of a video: enough to join files and to check a duration. */
export interface VideoInfo {
  /** Seconds (ffmpeg prints hundredths). */
  duration: number;
  width: number;
  height: number;
  codec: string;
  fps?: number;
  hasAudio: boolean;
}

/**
 * Probe a video with ffmpeg itself (`ffmpeg -i FILE` prints the container and streams, then exits 1 for want of an
 * output): the binary from @ffmpeg-installer comes without ffprobe.
 */
export async function probeVideo(bin: string, file: string, options: RunOptions = {}): Promise<VideoInfo> {
  const run = await execFfmpeg(bin, ['-hide_banner', '-nostdin', '-i', file], { timeoutMs: options.timeoutMs ?? 30_000 });
  const info = parseProbe(run.stderr);
  if (!info) throw new Error(`not a video ffmpeg can read: ${tail(run.stderr)}`);
  return info;
}

/**
 * Probe many videos with one ffmpeg run (ffmpeg starts in about half a second; `-i` repeated prints one `Input #N`
 * block per file). When a file cannot be read ffmpeg stops there: the files it did not read are then probed alone,
 * in order, to name the first that fails.
 */
export async function probeVideos(bin: string, files: readonly string[], options: RunOptions = {}): Promise<VideoInfo[]> {
  if (files.length === 0) return [];
  const args = ['-hide_banner', '-nostdin'];
  for (const f of files) args.push('-i', f);
  const run = await execFfmpeg(bin, args, { timeoutMs: options.timeoutMs ?? 60_000 });
  const infos: (VideoInfo | undefined)[] = files.map(() => undefined);
  for (const block of run.stderr.split(/^(?=Input #\d+)/m)) {
    const n = /^Input #(\d+)/.exec(block);
    if (n && Number(n[1]) < files.length) infos[Number(n[1])] = parseProbe(block);
  }
  for (const [k, f] of files.entries()) {
    if (infos[k]) continue;
    try {
      infos[k] = await probeVideo(bin, f, options);
    } catch (err) {
      throw new Error(`${f}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return infos as VideoInfo[];
}

/** The parse of `ffmpeg -i` output; undefined when it shows no video stream with a duration. */
export function parseProbe(stderr: string): VideoInfo | undefined {
  const d = /Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)/.exec(stderr);
  const v = /Stream #\d+:\d+[^\n]*?: Video: (\w+)[^\n]*?, (\d{2,5})x(\d{2,5})[^\n]*/.exec(stderr);
  if (!d || !v) return undefined;
  const fps = /, (\d+(?:\.\d+)?) fps/.exec(v[0]);
  return {
    duration: Number(d[1]) * 3600 + Number(d[2]) * 60 + Number(d[3]),
    codec: v[1]!,
    width: Number(v[2]),
    height: Number(v[3]),
    ...(fps ? { fps: Number(fps[1]) } : {}),
    hasAudio: /Stream #\d+:\d+[^\n]*?: Audio: /.test(stderr),
  };
}
