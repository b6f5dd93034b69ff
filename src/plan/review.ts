import { statSync } from 'node:fs';
import path from 'node:path';
import type { LoadedState } from '../lock/backend.js';
import type { Lockfile, LockShot, LockTake, TakeStatus } from '../lock/schema.js';
import { currentTake, isSpent, spentCents } from '../lock/takes.js';
import type { VideoRequest } from '../models.js';
import type { Spec } from '../spec/schema.js';
import type { Plan, PlannedShot } from './build.js';
import { type Action, changesOf, describeChanges, type FieldChange } from './diff.js';
import { planSpec } from './plan-spec.js';
import type { ImageInfo } from './types.js';

/**
 * The campaign review (`render report`): per shot of the spec, in spec order, its current take and video, status,
 * cost, prompt as sent (elements named), and every earlier take with what differed; totals against the budget;
 * what changed since the previous report. Plain data, read from the spec, the lockfile (with any journal) and the
 * output files' sizes, like `render status`; no network, no writes. report/review-page.ts renders it.
 */

const CARD_STATUSES = ['done', 'outdated', 'rendering', 'unknown', 'missing', 'failed', 'blocked', 'pending'] as const;
/**
 * - `done`: rendered, output intact, the spec unchanged since; `outdated`: rendered, but the spec changed since;
 * - `rendering`: submitted, not finished; `unknown`: a submit whose outcome is unknown;
 * - `missing`: rendered, the output file is gone (plan restores or renders again);
 * - `failed`: failed (plan retries); `blocked`: failed on its input (change the shot); `pending`: never rendered.
 */
export type CardStatus = (typeof CARD_STATUSES)[number];

/** A run of prompt text, or (`element`) the name of a Kling element where the prompt has `<<<element_N>>>`. */
interface PromptSegment {
  text: string;
  element?: boolean;
}

/** One prompt, or one part of a multi-prompt with its seconds. */
interface PromptBeat {
  duration?: number;
  segments: PromptSegment[];
}

export interface ReviewPrompt {
  beats: PromptBeat[];
  /** The whole prompt as one text, elements as `@name`, parts joined by ` / ` (what a word diff compares). */
  text: string;
  negative?: string;
}

export interface ReviewTake {
  n: number;
  status: TakeStatus;
  predictionId?: string;
  duration: number;
  /** What it cost; 0 for a failed take (refunded) or an intent declared never created. */
  costCents: number;
  /** The price the take was submitted at (what a failed take had refunded). */
  priceCents: number;
  refunded: boolean;
  submittedAt: string;
  completedAt?: string;
  /** The first output file, absolute, when it is on disk at its recorded size. */
  video?: string;
  videoSha256?: string;
  file: 'intact' | 'missing' | 'changed' | 'none';
  error?: string;
  /** The start image, absolute, when it is a local file of the spec (the poster without ffmpeg). */
  startImage?: string;
  prompt: ReviewPrompt;
}

interface EarlierTake extends ReviewTake {
  /** What differs from this take to the current one, in the plan's words ("prompt changed, duration 5 → 6"). */
  changes: FieldChange[];
  changeText: string;
}

export interface ReviewCard {
  id: string;
  /** 1-based place in the spec. */
  index: number;
  duration: number;
  status: CardStatus;
  action: Action;
  /** The plan's reason (why it failed, is blocked, what changed...). */
  reason: string;
  current?: ReviewTake;
  /** Earlier takes on this endpoint, newest first. */
  earlier: EarlierTake[];
  /** The prompt as sent for the current take; before any take, as the spec says now. */
  prompt: ReviewPrompt;
  /** For `outdated`: what the spec changed since the current take, and its prompt now. */
  pending?: { changes: FieldChange[]; changeText: string; prompt: ReviewPrompt };
  startImage?: string;
  /** Identity of the current take (number, prediction, status, output): compared with the previous report's. */
  key: string;
  changed: boolean;
}

interface ReviewTotals {
  shots: number;
  seconds: number;
  /** Seconds of shots whose current take completed. */
  renderedSeconds: number;
  /** What the current takes cost. */
  currentCents: number;
  /** Everything spent (every take, failures refunded) on this kind of endpoint: what counts against the budget. */
  spentCents: number;
  budgetCents: number;
  /** What `render apply` would spend now, and how many shots it would submit. */
  toDoCents: number;
  toSubmit: number;
  takes: number;
  byStatus: Record<CardStatus, number>;
  changed: number;
  /** Shots in the lockfile on this endpoint that are no longer in the spec (their spend still counts). */
  notInSpec: string[];
}

/** Shot id → key of its current take, as a report saw them. */
export interface ReportState {
  generated_at: string;
  shots: Record<string, string>;
}

/**
 * What the page embeds for the next report to compare with ("changed since last report"): the state it showed,
 * and the state it compared with (`since`). A report that finds nothing new since the previous one keeps comparing
 * with the same `since`, so making the page again does not wipe its marks.
 */
export interface ReportData extends ReportState {
  format: 'render-report';
  version: 1;
  name: string;
  endpoint: string;
  since?: ReportState;
}

export interface ReviewModel {
  specFile: string;
  name: string;
  model: string;
  endpoint: string;
  /** Where this endpoint's outputs are (the output folder, or its `.mock/`). */
  placeDir: string;
  generatedAt: string;
  cards: ReviewCard[];
  totals: ReviewTotals;
  /** When the report compared with was made ("changed since"); undefined for a first report. */
  previousAt?: string;
  data: ReportData;
}

export interface ReviewOptions {
  endpoint: string;
  /** The data of the report this one replaces, if any, given where this endpoint's outputs are. */
  previous?: (placeDir: string) => ReportData | undefined;
  now?: number;
  /** The state as a state database has it (default: the lockfile and journal). */
  state?: LoadedState;
}

/** Read the spec, lockfile and output files, and build the review. Read-only, no network. */
export function reviewCampaign(specFile: string, options: ReviewOptions): { model: ReviewModel; lock: Lockfile } {
  const now = options.now ?? Date.now();
  const { plan, lock, spec, images } = planSpec(specFile, { endpoint: options.endpoint, now, state: options.state });
  return { model: buildReview({ plan, lock, spec, images, fileSize, now, previous: options.previous?.(plan.placeDir) }), lock };
}

interface BuildReviewInput {
  plan: Plan;
  lock: Lockfile;
  spec: Spec;
  images: ReadonlyMap<string, ImageInfo>;
  /** Size of a file in bytes, undefined when it does not exist (injected, like the plan's). */
  fileSize: (abs: string) => number | undefined;
  now: number;
  previous?: ReportData;
}

/** The review from a plan and its lockfile: pure. */
function buildReview(input: BuildReviewInput): ReviewModel {
  const { plan, lock, spec } = input;
  const specDir = path.dirname(plan.specFile);
  const state = lock.endpoints[plan.endpoint];
  const names = elementNames(spec);
  const bySha = new Map([...input.images.values()].map((i) => [`sha256:${i.sha256}`, i.path]));
  const ctx: TakeContext = { specDir, names, bySha, fileSize: input.fileSize };
  const cards: ReviewCard[] = plan.shots.map((shot, i) => cardOf(shot, i + 1, state?.shots[shot.id], ctx));
  const keys = Object.fromEntries(cards.map((c) => [c.id, c.key]));
  const since = baselineOf(input.previous?.endpoint === plan.endpoint ? input.previous : undefined, keys);
  for (const c of cards) c.changed = (since?.shots[c.id] ?? '') !== c.key;
  const generatedAt = new Date(input.now).toISOString();
  return {
    specFile: plan.specFile,
    name: plan.name,
    model: plan.model,
    endpoint: plan.endpoint,
    placeDir: plan.placeDir,
    generatedAt,
    cards,
    totals: totalsOf(cards, plan, lock, Object.keys(state?.shots ?? {})),
    previousAt: since?.generated_at,
    data: {
      format: 'render-report',
      version: 1,
      name: plan.name,
      endpoint: plan.endpoint,
      generated_at: generatedAt,
      shots: keys,
      ...(since ? { since } : {}),
    },
  };
}

/**
 * What to compare with: the previous report's state; or, when nothing changed since it, what it compared with
 * (nothing, for a page made again after a first report: every rendered shot stays marked).
 */
function baselineOf(previous: ReportData | undefined, keys: Record<string, string>): ReportState | undefined {
  if (!previous) return undefined;
  const ids = new Set([...Object.keys(keys), ...Object.keys(previous.shots)]);
  const same = [...ids].every((id) => (previous.shots[id] ?? '') === (keys[id] ?? ''));
  return same ? previous.since : { generated_at: previous.generated_at, shots: previous.shots };
}

interface TakeContext {
  specDir: string;
  names: Map<string, string>;
  bySha: Map<string, string>;
  fileSize: (abs: string) => number | undefined;
}

function cardOf(shot: PlannedShot, index: number, entry: LockShot | undefined, ctx: TakeContext): ReviewCard {
  const cur = currentTake(entry);
  const current = cur ? takeOf(cur, ctx) : undefined;
  const earlier = [...(entry?.takes ?? [])]
    .filter((t) => t !== cur)
    .reverse()
    .map((t): EarlierTake => {
      const changes = cur ? changesOf(t, cur.model, cur.request as unknown as VideoRequest, cur.take) : [];
      return { ...takeOf(t, ctx), changes, changeText: cur ? describeChanges(changes) : '' };
    });
  const status = statusOf(shot.action, cur);
  const specPrompt = promptOf(shot.request as unknown as Record<string, unknown>, ctx.names);
  const key = cur ? `${cur.n}:${cur.prediction_id ?? ''}:${cur.status}:${cur.outputs[0]?.sha256 ?? ''}` : '';
  const changes = shot.changes ?? [];
  return {
    id: shot.id,
    index,
    duration: shot.duration,
    status,
    action: shot.action,
    reason: shot.reason,
    current,
    earlier,
    prompt: current?.prompt ?? specPrompt,
    ...(status === 'outdated' && current ? { pending: { changes, changeText: describeChanges(changes), prompt: specPrompt } } : {}),
    startImage: shot.images.find((i) => i.field === 'image')?.path,
    key,
    changed: false,
  };
}

function statusOf(action: Action, cur: LockTake | undefined): CardStatus {
  switch (action) {
    case 'unchanged':
      return 'done';
    case 'replace':
      return cur?.status === 'completed' ? 'outdated' : 'pending';
    case 'retry':
      return 'failed';
    case 'blocked':
      return 'blocked';
    case 'resume':
      return cur && (cur.status === 'submitted' || cur.status === 'processing') ? 'rendering' : 'unknown';
    case 'restore':
    case 'regenerate':
      return 'missing';
    case 'create':
      return 'pending';
  }
}

function takeOf(t: LockTake, ctx: TakeContext): ReviewTake {
  const out = t.outputs[0];
  const abs = out ? path.resolve(ctx.specDir, out.path) : undefined;
  const size = abs ? ctx.fileSize(abs) : undefined;
  const file = !out ? 'none' : size === undefined ? 'missing' : size === out.bytes ? 'intact' : 'changed';
  const request = t.request as Record<string, unknown>;
  const e = t.error;
  return {
    n: t.n,
    status: t.status,
    predictionId: t.prediction_id,
    duration: t.duration,
    costCents: isSpent(t) ? t.cost_cents : 0,
    priceCents: t.cost_cents,
    refunded: t.status === 'failed',
    submittedAt: t.submitted_at,
    completedAt: t.completed_at,
    file,
    ...(file === 'intact' ? { video: abs, videoSha256: out?.sha256 } : {}),
    ...(e ? { error: e.task_code !== undefined ? `${e.task_code}: ${e.message.replace(/^\d+:?\s*/, '')}` : e.message } : {}),
    startImage: typeof request.image === 'string' ? ctx.bySha.get(request.image) : undefined,
    prompt: promptOf(request, ctx.names),
  };
}

/** Element id → the name the spec gives it (the first, when two names share an id). */
function elementNames(spec: Spec): Map<string, string> {
  const names = new Map<string, string>();
  for (const [name, el] of Object.entries(spec.elements ?? {})) if (!names.has(el.id)) names.set(el.id, name);
  return names;
}

/** The prompt of a request, `<<<element_N>>>` replaced by the name of the request's N-th element. */
export function promptOf(request: Record<string, unknown>, names: ReadonlyMap<string, string>): ReviewPrompt {
  const list = Array.isArray(request.element_list) ? (request.element_list as { element_id?: unknown }[]) : [];
  const nameOf = (n: number) => {
    const id = list[n - 1]?.element_id;
    return (typeof id === 'string' && names.get(id)) || `element_${n}`;
  };
  const beatOf = (text: string, duration?: number): PromptBeat => ({ ...(duration !== undefined ? { duration } : {}), segments: segmentsOf(text, nameOf) });
  const beats =
    typeof request.prompt === 'string'
      ? [beatOf(request.prompt)]
      : Array.isArray(request.multi_prompt)
        ? (request.multi_prompt as { prompt?: unknown; duration?: unknown }[]).map((p) =>
            beatOf(String(p.prompt ?? ''), typeof p.duration === 'number' ? p.duration : undefined),
          )
        : [];
  const text = beats.map((b) => b.segments.map((s) => (s.element ? `@${s.text}` : s.text)).join('')).join(' / ');
  return { beats, text, ...(typeof request.negative_prompt === 'string' ? { negative: request.negative_prompt } : {}) };
}

function segmentsOf(text: string, nameOf: (n: number) => string): PromptSegment[] {
  const segments: PromptSegment[] = [];
  let last = 0;
  for (const m of text.matchAll(/<<<element_(\d+)>>>/g)) {
    if (m.index > last) segments.push({ text: text.slice(last, m.index) });
    segments.push({ text: nameOf(Number(m[1])), element: true });
    last = m.index + m[0].length;
  }
  if (last < text.length) segments.push({ text: text.slice(last) });
  return segments;
}

function totalsOf(cards: ReviewCard[], plan: Plan, lock: Lockfile, lockShots: string[]): ReviewTotals {
  const byStatus = Object.fromEntries(CARD_STATUSES.map((s) => [s, 0])) as Record<CardStatus, number>;
  for (const c of cards) byStatus[c.status]++;
  const inSpec = new Set(cards.map((c) => c.id));
  return {
    shots: cards.length,
    seconds: cards.reduce((n, c) => n + c.duration, 0),
    renderedSeconds: cards.reduce((n, c) => n + (c.current?.status === 'completed' ? c.current.duration : 0), 0),
    currentCents: cards.reduce((n, c) => n + (c.current?.costCents ?? 0), 0),
    spentCents: spentCents(lock, plan.endpoint),
    budgetCents: plan.totals.budgetCents,
    toDoCents: plan.totals.costCents,
    toSubmit: plan.totals.toSubmit,
    takes: cards.reduce((n, c) => n + (c.current ? 1 : 0) + c.earlier.length, 0),
    byStatus,
    changed: cards.filter((c) => c.changed).length,
    notInSpec: lockShots.filter((id) => !inSpec.has(id)).sort(),
  };
}

function fileSize(abs: string): number | undefined {
  try {
    const st = statSync(abs);
    return st.isFile() ? st.size : undefined;
  } catch {
    return undefined;
  }
}
