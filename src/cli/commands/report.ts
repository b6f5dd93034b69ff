import { spawn } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { RenderError } from '../../errors.js';
import type { ReportData } from '../../plan/review.js';
import { reviewCampaign } from '../../plan/review.js';
import { plural } from '../../report/format.js';
import { makePosters } from '../../report/posters.js';
import { readReportData, renderReviewPage } from '../../report/review-page.js';
import { writeFileAtomic } from '../../util/atomic-file.js';
import { FFMPEG_INSTALL_HINT, findFfmpeg } from '../../util/ffmpeg.js';
import { displayPath } from '../../util/paths.js';
import { defineCommand } from '../command.js';
import { EXIT } from '../exit-codes.js';
import { readStateFor, warnState } from '../state.js';
import { endpointOf } from '../options.js';
import { nothingRendered } from './review-common.js';

export const reportCommand = defineCommand({
  usage: 'render report SPEC [--out FILE] [--open] [--mock]',
  description: `
Writes one static HTML page to review the campaign (default renders/<name>/index.html, for --mock
renders/<name>/.mock/index.html): a card per shot in spec order with its video, status (and why it failed
or is blocked), duration, cost, prediction id, take, the prompt as sent (elements named) and its earlier
takes with what differed; totals against the budget, counts per status, and a filter (all, failed,
changed since the last report at the same path). Arrow keys move between cards, space plays.
The page needs no network and works from file://; videos are linked relative to it, so keep it in its
folder. Posters are each video's first frame, made with ffmpeg (RENDER_FFMPEG, PATH, or the
optional npm package @ffmpeg-installer/ffmpeg) into .posters/ beside the videos; without ffmpeg they are
the shots' start images, and the page says so.`,
  options: {
    out: { type: 'string', value: 'FILE', description: 'where to write the page (default <output folder>/index.html)' },
    open: { type: 'boolean', description: 'open the page in the default browser afterwards' },
    mock: { type: 'boolean', description: 'review what was rendered on the embedded mock server' },
  },
  positionals: [1, 1],
  async run({ io, options, positionals }) {
    const started = performance.now();
    const endpoint = endpointOf(options.mock, io.env);
    let outFile = '';
    const state = await readStateFor(positionals[0]!, io, 'report');
    warnState(io, state);
    const { model, lock } = reviewCampaign(positionals[0]!, {
      endpoint,
      state,
      previous: (placeDir) => {
        outFile = path.resolve(options.out ?? path.join(placeDir, 'index.html'));
        return previousReport(outFile);
      },
    });
    if (model.totals.takes === 0) throw nothingRendered(model, lock, options.mock);
    const ffmpeg = findFfmpeg(io.env);
    const posters = ffmpeg ? await makePosters(model, ffmpeg.path) : undefined;
    const noFfmpeg = ffmpeg
      ? undefined
      : `ffmpeg was not found, so posters are the shots' start images, not their videos' first frames: ${FFMPEG_INSTALL_HINT}.`;
    const html = renderReviewPage(model, { outFile, posters: posters?.posters ?? new Map(), noFfmpeg });
    try {
      writeFileAtomic(outFile, html);
    } catch (err) {
      throw new RenderError('USAGE', `cannot write the report to ${displayPath(outFile)}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, {
        cause: err,
      });
    }
    const t = model.totals;
    const rendered = t.byStatus.done + t.byStatus.outdated;
    const failed = t.byStatus.failed + t.byStatus.blocked;
    io.stdout.write(
      `Wrote ${displayPath(outFile)}: ${plural(t.shots, 'shot')}, ${rendered} rendered, ${failed} failed; ${model.previousAt ? `${t.changed} changed since the report of ${model.previousAt.slice(0, 16).replace('T', ' ')} UTC` : 'no earlier report here to compare with'} (${Math.round(performance.now() - started)} ms)\n`,
    );
    if (posters) {
      io.stdout.write(`posters: ${posters.made} made, ${posters.reused} reused (ffmpeg from ${ffmpeg?.source})\n`);
      for (const f of posters.failed) io.stderr.write(`warning: no poster for ${displayPath(f.video)}: ${f.error}\n`);
    } else {
      io.stderr.write(`note: ${noFfmpeg}\n`);
    }
    const url = pathToFileURL(outFile).href;
    io.stdout.write(`open ${url}\n`);
    if (options.open) openInBrowser(url, io.stderr);
    return EXIT.ok;
  },
});

/**
 * The data of the page at `file`, when it is a page `render report` wrote; undefined when there is no file. Any
 * other file is refused: `--out` never overwrites something that is not a report.
 */
function previousReport(file: string): ReportData | undefined {
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(file);
  } catch {
    return undefined;
  }
  const shown = displayPath(file);
  if (st.isDirectory()) throw new RenderError('USAGE', `--out ${shown} is a folder`, { hint: `name a file, e.g. ${path.join(shown, 'index.html')}` });
  const data = st.isFile() && st.size < 256 * 1024 * 1024 ? readReportData(readFileSync(file, 'utf8')) : undefined;
  if (!data) {
    throw new RenderError('USAGE', `refusing to write the report over ${shown}: it is not a page \`render report\` wrote`, {
      hint: 'name another file with --out, or move that one away',
    });
  }
  return data;
}

function openInBrowser(url: string, stderr: { write(text: string): unknown }): void {
  const [cmd, args] =
    process.platform === 'darwin' ? ['open', [url]] : process.platform === 'win32' ? ['cmd', ['/c', 'start', '""', url]] : ['xdg-open', [url]];
  try {
    const child = spawn(cmd, args as string[], { detached: true, stdio: 'ignore' });
    child.on('error', () => stderr.write(`note: could not open a browser (${cmd}); open the URL above yourself\n`));
    child.unref();
  } catch {
    stderr.write(`note: could not open a browser (${cmd}); open the URL above yourself\n`);
  }
}
