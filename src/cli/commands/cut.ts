import { closeSync, openSync, readSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { RenderError } from '../../errors.js';
import { lockfilePath } from '../../lock/file.js';
import type { Lockfile } from '../../lock/schema.js';
import { reviewCampaign } from '../../plan/review.js';
import { cutCampaign, cutList } from '../../report/cut.js';
import { FFMPEG_INSTALL_HINT, findFfmpeg } from '../../util/ffmpeg.js';
import { displayPath } from '../../util/paths.js';
import { defineCommand } from '../command.js';
import { EXIT } from '../exit-codes.js';
import { readStateFor, warnState } from '../state.js';
import { endpointOf } from '../options.js';
import { nothingRendered } from './review-common.js';

export const cutCommand = defineCommand({
  usage: 'render cut SPEC [--out FILE] [--mock]',
  description: `
Joins the current take of every shot, in spec order, into one MP4, so the whole campaign can be watched
start to finish (default renders/<name>/<name>+cut.mp4; for --mock in renders/<name>/.mock/). Shots
without a video on disk (not rendered, failed, file missing) are skipped, each with a note. Videos alike
in codec, size, frame rate and sound are joined without re-encoding; otherwise each is scaled into the
most common size (letterboxed, never cropped) and re-encoded. Needs ffmpeg (RENDER_FFMPEG, PATH, or the
optional npm package @ffmpeg-installer/ffmpeg).`,
  options: {
    out: { type: 'string', value: 'FILE', description: 'where to write the MP4 (default <output folder>/<name>+cut.mp4)' },
    mock: { type: 'boolean', description: 'join what was rendered on the embedded mock server' },
  },
  positionals: [1, 1],
  async run({ io, options, positionals }) {
    const started = performance.now();
    const state = await readStateFor(positionals[0]!, io, 'cut');
    warnState(io, state);
    const { model, lock } = reviewCampaign(positionals[0]!, { endpoint: endpointOf(options.mock, io.env), state });
    const list = cutList(model);
    if (list.inputs.length === 0) {
      if (model.totals.takes === 0) throw nothingRendered(model, lock, options.mock, 'to join');
      throw new RenderError('NOTHING_RENDERED', `nothing to join: no shot of ${model.name} has a video on disk`, {
        hint: "`render status` shows each shot's output; `render apply` renders or restores what is missing",
      });
    }
    const ffmpeg = findFfmpeg(io.env);
    if (!ffmpeg) throw new RenderError('NO_FFMPEG', '`render cut` needs ffmpeg, and none was found', { hint: FFMPEG_INSTALL_HINT });
    const out = path.resolve(options.out ?? path.join(model.placeDir, `${model.name}+cut.mp4`));
    checkOut(out, lock, model.specFile);
    for (const s of list.skipped) io.stderr.write(`skipped ${s.id}: ${s.why}\n`);
    let result: Awaited<ReturnType<typeof cutCampaign>>;
    try {
      result = await cutCampaign(list, ffmpeg.path, out);
    } catch (err) {
      throw new RenderError('FFMPEG_FAILED', `joining the videos failed: ${err instanceof Error ? err.message : String(err)}`, {
        cause: err,
        hint: `ffmpeg from ${ffmpeg.source} (${ffmpeg.path}); RENDER_DEBUG=1 shows more`,
      });
    }
    const how = result.mode === 'copy' ? 'joined without re-encoding' : `re-encoded to ${result.width}x${result.height}`;
    io.stdout.write(
      `Wrote ${displayPath(out)}: ${list.inputs.length} of ${model.cards.length} shots, ${result.seconds.toFixed(2)} s, ${how} (${Math.round(performance.now() - started)} ms)\n`,
    );
    if (list.skipped.length > 0) io.stdout.write(`skipped ${list.skipped.length}: ${list.skipped.map((s) => s.id).join(', ')}\n`);
    return EXIT.ok;
  },
});

/**
 * `--out` never replaces the spec, its lockfile, a paid output of any take or a file that is not an MP4; an
 * earlier cut is replaced (atomically: ffmpeg writes a temp file beside it, renamed when complete).
 */
function checkOut(out: string, lock: Lockfile, specFile: string): void {
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(out);
  } catch {
    return;
  }
  const shown = displayPath(out);
  if (st.isDirectory()) throw new RenderError('USAGE', `--out ${shown} is a folder`, { hint: `name a file, e.g. ${path.join(shown, 'campaign.mp4')}` });
  const specDir = path.dirname(specFile);
  const real = realpathSync(out);
  const outputs = Object.values(lock.endpoints).flatMap((state) =>
    Object.values(state.shots).flatMap((s) => s.takes.flatMap((t) => t.outputs.map((o) => o.path))),
  );
  const owned = [
    specFile,
    lockfilePath(specFile, lock.name),
    ...outputs.map((p) => path.resolve(specDir, p)),
    ...lock.kept.map((k) => path.resolve(specDir, k.path)),
  ];
  const why = owned.some((f) => sameFile(f, real))
    ? 'it is the spec, its lockfile or a rendered output'
    : !st.isFile() || !isMp4(out)
      ? 'it is not an MP4'
      : undefined;
  if (why) throw new RenderError('USAGE', `refusing to write the cut over ${shown} (${why})`, { hint: 'name another file with --out' });
}

function sameFile(a: string, realB: string): boolean {
  try {
    return realpathSync(a) === realB;
  } catch {
    return false;
  }
}

/** An ISO media file: an `ftyp` box first. */
function isMp4(file: string): boolean {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(8);
    return readSync(fd, buf, 0, 8, 0) === 8 && buf.toString('latin1', 4, 8) === 'ftyp';
  } finally {
    closeSync(fd);
  }
}
