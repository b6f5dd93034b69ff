import { createRequire } from 'node:module';
import type { ApplyEvent, ApplySummary } from '../apply/events.js';
import type { OutputStream } from './output.js';
import { ApplyProgress } from './apply-state.js';
import { displayPath } from '../util/paths.js';
import { usd } from '../money.js';
import { plural } from './format.js';
import { describeEndpoint } from '../endpoint.js';
import { NO_PAINT, type Paint } from './colour.js';
import { eventLine } from './json.js';
import { isInputFailure } from '../plan/diff.js';
import { batchLines, throttle } from './rate-limit.js';

export interface Reporter {
  emit(event: ApplyEvent): void;
  /** A line for the user that is not an event (e.g. "stopping..."). */
  note(text: string): void;
  close(): void;
}

export type ReporterMode = 'json' | 'tty' | 'plain';

/** NDJSON on stdout with --json; bars on a terminal (not in CI); one plain line per event otherwise. */
export function reporterMode(json: boolean, stderr: OutputStream, env: Record<string, string | undefined>): ReporterMode {
  if (json) return 'json';
  return stderr.isTTY && !env.CI ? 'tty' : 'plain';
}

export interface ReporterOptions {
  stdout: OutputStream;
  stderr: OutputStream;
  redact: (t: string) => string;
  /** Colour for stderr (events, bars) and stdout (the summary); off by default. */
  paint?: { stdout: Paint; stderr: Paint };
}

export function createReporter(mode: ReporterMode, o: ReporterOptions): Reporter {
  const { stdout, stderr, redact } = o;
  if (mode === 'json') {
    const out = batchLines(stdout);
    return {
      emit: (e) => {
        out.push(`${redact(eventLine(e, new Date()))}\n`);
        if (e.type === 'summary') out.flush();
      },
      note: (text) => stderr.write(`${redact(text)}\n`),
      close: () => out.flush(),
    };
  }
  const paint = o.paint ?? { stdout: NO_PAINT, stderr: NO_PAINT };
  return mode === 'tty' ? barsReporter(o, paint) : lineReporter(o, paint);
}

function lineReporter({ stdout, stderr, redact }: ReporterOptions, paint: { stdout: Paint; stderr: Paint }): Reporter {
  const progress = new ApplyProgress();
  const lines = batchLines(stderr);
  const say = (text: string) => lines.push(`${redact(text)}\n`);
  return {
    emit(e) {
      progress.update(e);
      if (e.type === 'summary') {
        lines.flush();
        return void stdout.write(`${redact(formatSummary(e.summary, paint.stdout))}\n`);
      }
      const line = describeEvent(e, progress, paint.stderr);
      if (line) say(line);
    },
    note: (text) => {
      say(text);
      lines.flush();
    },
    close: () => lines.flush(),
  };
}

/** Loaded only when bars are drawn: most runs (CI, pipes, --json) never need it. */
const loadCliProgress = (): typeof import('cli-progress') => createRequire(import.meta.url)('cli-progress') as typeof import('cli-progress');

/**
 * Bars on a terminal. They are drawn only from the run's `start` event, which comes after the plan and the
 * question (docs/SPEC.md "On a terminal"): nothing is drawn over the prompt, and a note before the run (nothing to
 * do, cancelled) is a plain line. While they run, lines go above them and stay; the summary comes after they stop.
 */
function barsReporter({ stdout, stderr, redact }: ReporterOptions, paint: { stdout: Paint; stderr: Paint }): Reporter {
  const progress = new ApplyProgress();
  const p = paint.stderr;
  let live: { bars: import('cli-progress').MultiBar; overall: import('cli-progress').SingleBar; active: import('cli-progress').SingleBar } | undefined;
  const start = () => {
    const cliProgress = loadCliProgress();
    const bars = new cliProgress.MultiBar(
      { stream: stderr as NodeJS.WritableStream, clearOnComplete: false, hideCursor: true, format: '{label} {bar} {value}/{total} {info}', barsize: 30 },
      cliProgress.Presets.shades_classic,
    );
    live = { bars, overall: bars.create(1, 0, { label: 'shots  ', info: '' }), active: bars.create(1, 0, { label: 'active ', info: '' }) };
  };
  const refresh = () => {
    if (!live) return;
    const failed = progress.count('failed');
    const skipped = progress.count('skipped');
    const unknown = progress.count('unknown');
    live.overall.setTotal(Math.max(1, progress.total));
    live.overall.update(progress.settled, {
      info: [
        `spent ${p.money(usd(progress.spentCents))}`,
        failed ? p.fail(`failed ${failed}`) : 'failed 0',
        unknown ? p.warn(`unknown ${unknown}`) : '',
        skipped ? p.warn(`skipped ${skipped}`) : '',
      ]
        .filter(Boolean)
        .join('  '),
    });
    const busy = progress.count('queued') + progress.count('processing') + progress.count('downloading');
    live.active.setTotal(Math.max(1, progress.total));
    live.active.update(busy, {
      info: `uploads ${progress.uploads} · queued ${progress.count('queued')} · processing ${progress.count('processing')} · downloading ${progress.count('downloading')}`,
    });
  };
  // Redrawn at most every 100 ms (docs/ARCHITECTURE.md "Progress at scale").
  const redraw = throttle(refresh);
  const line = (text: string) => (live ? live.bars.log(`${redact(text)}\n`) : stderr.write(`${redact(text)}\n`));
  const stop = () => {
    redraw.cancel();
    if (!live) return;
    refresh();
    // cli-progress writes logged lines only at its next redraw, and stop() does not flush them: a failure logged in
    // the last tenth of a second would be lost. One redraw now writes them above the bars, then the bars stop.
    (live.bars as unknown as { update(): void }).update();
    live.bars.stop();
    live = undefined;
  };
  return {
    emit(e) {
      progress.update(e);
      if (e.type === 'start') start();
      if (e.type === 'summary') {
        stop();
        return void stdout.write(`${redact(formatSummary(e.summary, paint.stdout))}\n`);
      }
      if (e.type === 'failed' || e.type === 'unknown' || e.type === 'settled' || e.type === 'kept' || e.type === 'fetched')
        line(describeEvent(e, progress, p) ?? '');
      redraw.request();
    },
    note: line,
    close: stop,
  };
}

function describeEvent(e: ApplyEvent, p: ApplyProgress, paint: Paint): string | undefined {
  const at = () => `[${p.settled}/${p.total}]`;
  switch (e.type) {
    case 'start':
      return `applying: ${plural(e.toSubmit, 'shot')} to submit (${usd(e.costCents)}), ${e.toResume} to resume${e.toRestore > 0 ? `, ${e.toRestore} to restore ($0)` : ''}${e.toFetch > 0 ? `, ${plural(e.toFetch, 'paid take')} to fetch` : ''}, ${e.concurrency} in flight at most, on ${describeEndpoint(e.endpoint)}`;
    case 'upload':
      return `uploaded ${displayPath(e.path)}`;
    case 'submitted':
      return `submitted ${e.id} as ${e.predictionId} (${paint.money(usd(e.costCents))})`;
    case 'status':
      return e.status === 'completed' ? `rendered ${e.id}` : undefined;
    case 'unknown':
      return `${paint.warn(`${e.id}: submit outcome unknown`)} (${unknownReason(e.message)}); counted as spent, looked for in the server's list, never sent again`;
    case 'settled':
      return `${e.id}: ${e.message}`;
    case 'restored':
      return `restored ${e.id} from take #${e.take} (no new charge)`;
    case 'fetched':
      return `kept take #${e.take} of ${e.id} as ${displayPath(e.path)}: paid, never downloaded, now safe from the server's 7-day deletion ($0)`;
    case 'kept':
      return `kept ${e.from} as ${e.path} (${e.reason}): moved aside, not overwritten`;
    case 'downloaded':
      return `downloaded ${displayPath(e.path)} (${(e.bytes / 1024).toFixed(1)} KB)`;
    case 'done':
      return `${at()} ${paint.ok('done')} ${e.id}`;
    case 'failed':
      if (e.code === 'UNKNOWN_OUTCOME') return `${at()} ${paint.warn('unknown')} ${e.id}: ${e.message}${e.hint ? ` (${e.hint})` : ''}`;
      return `${at()} ${paint.fail('FAILED')} ${e.id}: ${e.message}${e.hint ? ` (${e.hint})` : ''}`;
    case 'skipped':
      return `${at()} ${paint.warn('skipped')} ${e.id}: ${e.reason}`;
    default:
      return undefined;
  }
}

/** Why a submit's outcome is unknown, from its error's text (`submit m: outcome unknown (why)`): said once. */
function unknownReason(message: string): string {
  return /: outcome unknown \((.*)\)$/s.exec(message)?.[1] ?? message;
}

function formatSummary(s: ApplySummary, paint: Paint): string {
  const refunds = s.refundedCents > 0 ? ` (charges ${usd(s.chargedCents)}, refunds ${usd(s.refundedCents)})` : '';
  // A submit whose outcome is unknown has not failed (it may be rendering): said apart, never as a failure.
  const unknown = new Set(s.unknown.map((u) => u.id));
  const failedCount = s.failed.filter((f) => !unknown.has(f.id)).length;
  const failed = failedCount > 0 ? paint.fail(`${failedCount} failed`) : '0 failed';
  const unknownCount = s.unknown.length > 0 ? `${paint.warn(`${s.unknown.length} unknown`)}, ` : '';
  const skipped = s.skipped.length > 0 ? paint.warn(`${s.skipped.length} skipped`) : '0 skipped';
  const lines = [
    `${s.interrupted ? paint.warn('Interrupted') : 'Done'}: ${s.done} rendered, ${s.fetched > 0 ? `${s.fetched} earlier paid ${s.fetched === 1 ? 'take' : 'takes'} kept, ` : ''}${failed}, ${unknownCount}${skipped} in ${(s.elapsedMs / 1000).toFixed(1)} s; spent ${paint.money(usd(s.spentCents))} this run${refunds}, ${paint.money(usd(s.totalSpentCents))} in all`,
  ];
  // Long lists are cut, never silently: the rest is counted, and said where to find it.
  const some = <T>(items: readonly T[], max: number, line: (item: T) => string, what: string, where = '`render status SPEC` lists them all') => {
    for (const item of items.slice(0, max)) lines.push(line(item));
    if (items.length > max) lines.push(`  … and ${items.length - max} more ${what} (${where})`);
  };
  some(
    s.failed.filter((f) => !unknown.has(f.id)),
    50,
    (f) => `  ${paint.fail('failed')}  ${f.id}: ${f.message}`,
    'failed',
  );
  some(s.skipped, 20, (k) => `  ${paint.warn('skipped')} ${k.id}: ${k.reason}`, 'skipped');
  some(
    s.unknown,
    50,
    (u) =>
      `  ${paint.warn('unknown')} ${u.id} (take #${u.take}, ${usd(u.costCents)} counted as spent): \`render adopt SPEC ${u.id} PREDICTION_ID\` if the dashboard shows it, \`render forget SPEC ${u.id}\` if not`,
    'unknown',
  );
  some(s.kept, 20, (k) => `  kept    ${k.from} → ${k.path} (moved aside, not overwritten)`, 'kept aside', "the lockfile's `kept` lists them all");
  // A shot that failed on its input is blocked: running again does nothing for it until the spec changes. An
  // unknown submit is not resumed either: it waits for the list, or for the user.
  const blocked = s.failed.filter((f) => !unknown.has(f.id) && isInputFailure(f.taskCode)).length;
  const resumable = s.failed.filter((f) => !unknown.has(f.id)).length - blocked + s.skipped.length;
  if (resumable > 0) lines.push('Run `render apply` again to resume: nothing paid is paid again.');
  if (blocked > 0)
    lines.push(
      `${plural(blocked, 'shot')} failed on ${blocked === 1 ? 'its' : 'their'} input: change ${blocked === 1 ? 'it' : 'them'} in the spec to render ${blocked === 1 ? 'it' : 'them'} again.`,
    );
  if (s.unknown.length > 0) {
    lines.push(
      "Unknown submits are never sent again: `render apply` looks for them in the server's list, and only you can say what the list cannot (adopt or forget, as above).",
    );
  }
  return lines.join('\n');
}
