import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Handlebars from 'handlebars';
import { describeEndpoint } from '../endpoint.js';
import { usd } from '../money.js';
import type { CardStatus, ReportData, ReportState, ReviewCard, ReviewModel, ReviewPrompt, ReviewTake } from '../plan/review.js';
import { displayPath } from '../util/paths.js';
import { packageVersion } from '../util/version.js';
import { type DiffPart, wordDiffParts } from './prompt-diff.js';

/**
 * The review page of `render report`: one static HTML file, self-contained (its CSS and script inline, no network,
 * works from file://), videos and posters linked relative to it. Rendered by Handlebars with its default HTML
 * escaping (never `noEscape`) from `templates/report/page.hbs`; a Content-Security-Policy lets only the page's own
 * script (by hash) run. The page embeds its data (JSON, `<`, `>`, `&`, U+2028/2029 escaped) so the next report can
 * tell what changed since (`readReportData`).
 */

const TEMPLATE_DIR = new URL('../../templates/report/', import.meta.url);

export const STATUS_LABELS: Readonly<Record<CardStatus, string>> = {
  done: 'rendered',
  outdated: 'spec changed since',
  rendering: 'rendering',
  unknown: 'submit outcome unknown',
  missing: 'output missing',
  failed: 'failed',
  blocked: 'blocked',
  pending: 'not rendered',
};

export interface PageOptions {
  /** Where the page will be written: links are relative to its folder. */
  outFile: string;
  /** Poster image per video file (absolute paths), made by ffmpeg. */
  posters: ReadonlyMap<string, string>;
  /** ffmpeg was not found: posters are the start images, and the page says so once. */
  noFfmpeg?: string;
}

let compiled: HandlebarsTemplateDelegate | undefined;
let assets: { css: string; script: string } | undefined;

function template(): { render: HandlebarsTemplateDelegate; css: string; script: string } {
  if (!compiled || !assets) {
    const read = (name: string) => readFileSync(new URL(name, TEMPLATE_DIR), 'utf8');
    compiled = Handlebars.create().compile(read('page.hbs'), { strict: false });
    assets = { css: read('page.css'), script: read('page.js') };
  }
  return { render: compiled, ...assets };
}

/** The page's HTML. */
export function renderReviewPage(model: ReviewModel, options: PageOptions): string {
  const { render, css, script } = template();
  const dir = path.dirname(options.outFile);
  const href = (abs: string) => relativeHref(dir, abs);
  const t = model.totals;
  const notes: string[] = [];
  if (options.noFfmpeg) notes.push(options.noFfmpeg);
  notes.push(
    model.previousAt
      ? `"Changed since last report" compares with the report of ${when(model.previousAt)} at this path (the last one that showed other takes).`
      : '"Changed since last report": nothing earlier at this path to compare with, so every rendered shot counts as changed.',
  );
  if (t.notInSpec.length > 0) notes.push(`In the lockfile but no longer in the spec (their spend still counts): ${t.notInSpec.join(', ')}.`);
  const view = {
    version: packageVersion(),
    name: model.name,
    model: model.model,
    specPath: displayPath(model.specFile),
    endpointLabel: describeEndpoint(model.endpoint),
    generatedAt: when(model.generatedAt),
    totals: {
      ...t,
      current: usd(t.currentCents),
      spent: usd(t.spentCents),
      budget: usd(t.budgetCents),
      highCents: Math.floor(t.budgetCents * 0.9),
      over: t.spentCents > t.budgetCents,
      toDo: usd(t.toDoCents),
      toSubmit: t.toSubmit === 1 ? '1 shot' : `${t.toSubmit} shots`,
      failed: t.byStatus.failed + t.byStatus.blocked,
    },
    statuses: Object.entries(t.byStatus)
      .filter(([, n]) => n > 0)
      .map(([key, count]) => ({ key, label: STATUS_LABELS[key as CardStatus], count })),
    notes,
    cards: model.cards.map((c) => cardView(c, href, options)),
    css,
    script,
    csp: contentSecurityPolicy(css, script),
    dataJson: jsonForScript(model.data),
  };
  return render(view);
}

function cardView(c: ReviewCard, href: (abs: string) => string, options: PageOptions) {
  const cur = c.current;
  const video = cur?.video ? videoView(cur, href, options) : undefined;
  const poster = !video && (c.startImage ?? cur?.startImage);
  return {
    id: c.id,
    index: c.index,
    status: c.status,
    statusLabel: STATUS_LABELS[c.status],
    failed: c.status === 'failed' || c.status === 'blocked',
    changed: c.changed,
    duration: c.duration,
    cost: cur ? costText(cur) : '$0.00',
    takeN: cur?.n,
    predictionId: cur?.predictionId,
    reason: reasonText(c),
    video,
    poster: poster ? href(poster) : undefined,
    noVideo: noVideoText(c),
    prompt: c.prompt,
    pending: c.pending ? { changeText: c.pending.changeText, diff: promptDiff(c.prompt, c.pending.prompt) } : undefined,
    earlier: c.earlier.map((t) => ({
      n: t.n,
      status: t.status,
      duration: t.duration,
      cost: costText(t),
      predictionId: t.predictionId,
      when: t.completedAt || t.submittedAt ? when(t.completedAt ?? t.submittedAt) : '',
      video: t.video ? videoView(t, href, options) : undefined,
      noVideo: t.file === 'none' ? 'no video' : `file ${t.file}`,
      changeText: t.changeText,
      error: t.error,
      diff: cur ? promptDiff(t.prompt, cur.prompt) : undefined,
    })),
  };
}

function videoView(take: ReviewTake, href: (abs: string) => string, options: PageOptions) {
  const poster = options.posters.get(take.video!) ?? (options.noFfmpeg ? take.startImage : undefined);
  return { src: href(take.video!), poster: poster ? href(poster) : undefined };
}

/** Words of unchanged text kept on each side of a change in a prompt's word diff. */
const DIFF_CONTEXT = 8;

/** Parts of the word diff between two prompts; undefined when their texts are the same. */
function promptDiff(before: ReviewPrompt, after: ReviewPrompt): (DiffPart & { add: boolean; del: boolean })[] | undefined {
  if (before.text === after.text) return undefined;
  return wordDiffParts(before.text, after.text, DIFF_CONTEXT).map((p) => ({ ...p, add: p.op === 'add', del: p.op === 'del' }));
}

function reasonText(c: ReviewCard): string {
  if (c.status === 'done') return '';
  if (c.status === 'outdated' && c.pending) return `The spec changed since this take (${c.pending.changeText}): the next apply renders it again.`;
  const err = c.current?.error;
  return err && c.status !== 'failed' && c.status !== 'blocked' ? `${c.reason} (${err})` : c.reason;
}

function costText(t: ReviewTake): string {
  if (t.refunded) return `${usd(0)} (${usd(t.priceCents)} refunded)`;
  if (t.status === 'forgotten') return `${usd(0)} (forgotten)`;
  return usd(t.costCents);
}

function noVideoText(c: ReviewCard): string {
  const file = c.current?.file;
  if (file === 'missing') return 'output file missing';
  if (file === 'changed') return 'output file changed on disk';
  if (c.status === 'pending') return 'not rendered yet';
  return STATUS_LABELS[c.status];
}

/** `2026-05-01 12:00 UTC` */
function when(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

/** A link from the page's folder to a file: relative, each segment percent-encoded (no scheme can appear). */
export function relativeHref(fromDir: string, abs: string): string {
  return path
    .relative(fromDir, abs)
    .split(path.sep)
    .map((seg) => encodeURIComponent(seg))
    .join('/');
}

/** JSON that is safe inside a `<script>` element: nothing in it can close the element or start markup. */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** Only the page's own script and style run; media and images from its folder (file:) only; nothing else. */
function contentSecurityPolicy(css: string, script: string): string {
  const hash = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
  return [
    "default-src 'none'",
    `script-src ${hash(script)}`,
    `style-src ${hash(css)}`,
    "img-src 'self' file: data:",
    "media-src 'self' file:",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

function isKeys(shots: unknown): shots is Record<string, string> {
  return typeof shots === 'object' && shots !== null && !Array.isArray(shots) && Object.values(shots).every((k) => typeof k === 'string');
}

const DATA_BLOCK = /<script type="application\/json" id="render-report-data">([\s\S]*?)<\/script>/;

/** The data a page written by `render report` embeds; undefined for any other file or a damaged block. */
export function readReportData(html: string): ReportData | undefined {
  const m = DATA_BLOCK.exec(html);
  if (!m) return undefined;
  try {
    const data = JSON.parse(m[1]!) as Partial<ReportData>;
    if (data.format !== 'render-report' || data.version !== 1 || typeof data.endpoint !== 'string' || typeof data.generated_at !== 'string') return undefined;
    const since = data.since;
    const state = (s: unknown): s is ReportState =>
      typeof s === 'object' && s !== null && typeof (s as ReportState).generated_at === 'string' && isKeys((s as ReportState).shots);
    if (!state(data) || (since !== undefined && !state(since))) return undefined;
    return data as ReportData;
  } catch {
    return undefined;
  }
}
