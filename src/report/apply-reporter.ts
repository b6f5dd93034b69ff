import { createRequire } from 'node:module';
import type { ApplyEvent, ApplySummary } from '../apply/events.js';
import type { OutputStream } from './output.js';
import { ApplyProgress } from './apply-state.js';
import { displayPath } from '../util/paths.js';
import { usd } from '../money.js';
import { plural } from './format.js';
import { describeEndpoint } from '../endpoint.js';
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

export function createReporter(mode: ReporterMode, stdout: OutputStream, stderr: OutputStream, redact: (t: string) => string): Reporter {
  if (mode === 'json') {
    const out = batchLines(stdout);
    return {
      emit: (e) => {
        out.push(`${redact(JSON.stringify({ ...e, at: new Date().toISOString() }))}\n`);
        if (e.type === 'summary') out.flush();
      },
      note: (text) => stderr.write(`${redact(text)}\n`),
      close: () => out.flush(),
    };
  }
  return mode === 'tty' ? barsReporter(stdout, stderr, redact) : lineReporter(stdout, stderr, redact);
}

function lineReporter(stdout: OutputStream, stderr: OutputStream, redact: (t: string) => string): Reporter {
  const progress = new ApplyProgress();
  const lines = batchLines(stderr);
  const say = (text: string) => lines.push(`${redact(text)}\n`);
  return {
    emit(e) {
      progress.update(e);
      if (e.type === 'summary') {
        lines.flush();
        return void stdout.write(`${redact(formatSummary(e.summary))}\n`);
      }
      const line = describeEvent(e, progress);
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

function barsReporter(stdout: OutputStream, stderr: OutputStream, redact: (t: string) => string): Reporter {
  const cliProgress = loadCliProgress();
  const progress = new ApplyProgress();
  const bars = new cliProgress.MultiBar(
    { stream: stderr as NodeJS.WritableStream, clearOnComplete: false, hideCursor: true, format: '{label} {bar} {value}/{total} {info}', barsize: 30 },
    cliProgress.Presets.shades_classic,
  );
  const overall = bars.create(1, 0, { label: 'shots  ', info: '' });
  const active = bars.create(1, 0, { label: 'active ', info: '' });
  const redraw = throttle(() => {
    overall.setTotal(Math.max(1, progress.total));
    overall.update(progress.finished, { info: `spent ${usd(progress.spentCents)}  failed ${progress.count('failed')}` });
    const busy = progress.count('queued') + progress.count('processing') + progress.count('downloading');
    active.setTotal(Math.max(1, progress.total));
    active.update(busy, {
      info: `uploads ${progress.uploads} · queued ${progress.count('queued')} · processing ${progress.count('processing')} · downloading ${progress.count('downloading')}`,
    });
  });
  return {
    emit(e) {
      progress.update(e);
      if (e.type === 'summary') {
        redraw.now();
        bars.stop();
        return void stdout.write(`${redact(formatSummary(e.summary))}\n`);
      }
      if (e.type === 'failed' || e.type === 'unknown' || e.type === 'settled' || e.type === 'kept' || e.type === 'fetched')
        bars.log(`${redact(describeEvent(e, progress) ?? '')}\n`);
      redraw.request();
    },
    note: (text) => bars.log(`${redact(text)}\n`),
    close: () => {
      redraw.cancel();
      bars.stop();
    },
  };
}

function describeEvent(e: ApplyEvent, p: ApplyProgress): string | undefined {
  const at = () => `[${p.finished}/${p.total}]`;
  switch (e.type) {
    case 'start':
      return `applying: ${plural(e.toSubmit, 'shot')} to submit (${usd(e.costCents)}), ${e.toResume} to resume${e.toRestore > 0 ? `, ${e.toRestore} to restore ($0)` : ''}${e.toFetch > 0 ? `, ${plural(e.toFetch, 'paid take')} to fetch` : ''}, ${e.concurrency} in flight at most, on ${describeEndpoint(e.endpoint)}`;
    case 'upload':
      return `uploaded ${displayPath(e.path)}`;
    case 'submitted':
      return `submitted ${e.id} as ${e.predictionId} (${usd(e.costCents)})`;
    case 'status':
      return e.status === 'completed' ? `rendered ${e.id}` : undefined;
    case 'unknown':
      return `${e.id}: submit outcome unknown (${e.message}); counted as spent, looked for in the server's list, never sent again`;
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
      return `${at()} done ${e.id}`;
    case 'failed':
      return `${at()} FAILED ${e.id}: ${e.message}${e.hint ? ` (${e.hint})` : ''}`;
    case 'skipped':
      return `${at()} skipped ${e.id}: ${e.reason}`;
    default:
      return undefined;
  }
}

function formatSummary(s: ApplySummary): string {
  const refunds = s.refundedCents > 0 ? ` (charges ${usd(s.chargedCents)}, refunds ${usd(s.refundedCents)})` : '';
  const lines = [
    `${s.interrupted ? 'Interrupted' : 'Done'}: ${s.done} rendered, ${s.fetched > 0 ? `${s.fetched} earlier paid ${s.fetched === 1 ? 'take' : 'takes'} kept, ` : ''}${s.failed.length} failed, ${s.skipped.length} skipped in ${(s.elapsedMs / 1000).toFixed(1)} s; spent ${usd(s.spentCents)} this run${refunds}, ${usd(s.totalSpentCents)} in all`,
  ];
  const unknown = new Set(s.unknown.map((u) => u.id));
  for (const f of s.failed.filter((f) => !unknown.has(f.id)).slice(0, 50)) lines.push(`  failed  ${f.id}: ${f.message}`);
  for (const k of s.skipped.slice(0, 20)) lines.push(`  skipped ${k.id}: ${k.reason}`);
  for (const u of s.unknown.slice(0, 50)) {
    lines.push(
      `  unknown ${u.id} (take #${u.take}, ${usd(u.costCents)} counted as spent): \`render adopt SPEC ${u.id} PREDICTION_ID\` if the dashboard shows it, \`render forget SPEC ${u.id}\` if not`,
    );
  }
  for (const k of s.kept.slice(0, 20)) lines.push(`  kept    ${k.from} → ${k.path} (moved aside, not overwritten)`);
  const resumable = s.failed.filter((f) => !unknown.has(f.id)).length + s.skipped.length;
  if (resumable > 0) lines.push('Run `render apply` again to resume: nothing paid is paid again.');
  if (s.unknown.length > 0) {
    lines.push(
      "Unknown submits are never sent again: `render apply` looks for them in the server's list, and only you can say what the list cannot (adopt or forget, as above).",
    );
  }
  return lines.join('\n');
}
