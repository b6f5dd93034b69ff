import path from 'node:path';
import type { Lockfile, LockTake } from '../lock/schema.js';
import { spentCents, undownloadedTakes } from '../lock/takes.js';
import { costCents, type VideoRequest } from '../models.js';
import { usdToCents } from '../money.js';
import type { Spec } from '../spec/schema.js';
import { MOCK_ENDPOINT } from '../endpoint.js';
import { fingerprintOf } from '../lock/fingerprint.js';
import { contentRequest } from './content-request.js';
import { decideAction, downloadable, SUBMITTING, type Action, type FieldChange, type TakeFiles } from './diff.js';
import type { ExpandedShot, ImageInfo } from './types.js';

export interface PlannedShot {
  id: string;
  action: Action;
  reason: string;
  /** For a `blocked` shot whose video only another machine has: where (docs/ARCHITECTURE.md "Team state"). */
  onlyAt?: string;
  duration: number;
  /** What this action would pay: the full price for a new prediction, 0 otherwise. */
  costCents: number;
  fingerprint: string;
  take: number;
  /** The exact body to send; local images stand where their upload URLs will go (relative to the spec). */
  request: VideoRequest;
  /** The request by content (local images as `sha256:…`), recorded in the lockfile. */
  contentRequest: VideoRequest;
  /** Local images of this shot: field, absolute path, sha256. */
  images: { field: 'image' | 'end_image'; path: string; sha256: string; bytes: number }[];
  /** Absolute path of the primary output file (for this endpoint: `--mock` renders go to `<output>/.mock/`). */
  output: string;
  /** The take the action concerns: resumed, restored, kept unchanged, or replaced. */
  takeN?: number;
  /** For `restore`: move the take's file back, or download it again. */
  restoreFrom?: 'file' | 'download';
  /** For `replace` (and `retry` after a change): what differs from the current take. */
  changes?: FieldChange[];
}

export interface PlanTotals {
  shots: number;
  toSubmit: number;
  costCents: number;
  spentCents: number;
  budgetCents: number;
  afterApplyCents: number;
  /** How far `afterApplyCents` passes the budget (or the cost passes --max-cost); 0 when within. */
  overBudgetCents: number;
  /** The two caps apart: how far past budget.max_usd, and how far past --max-cost (0 when within each). */
  overSpecBudgetCents: number;
  overMaxCostCents: number;
  maxRunCents?: number;
}

export interface Plan {
  specFile: string;
  name: string;
  model: string;
  endpoint: string;
  /** The spec's output folder. */
  outputDir: string;
  /** Where this endpoint's outputs go: the output folder, or its `.mock/` part for the local mock server. */
  placeDir: string;
  concurrency: number;
  shots: PlannedShot[];
  /** Paid takes never downloaded that no shot's action covers (the spec moved on, or the shot left it): apply
   * downloads them into `.takes/` for $0. */
  fetch: FetchTake[];
  totals: PlanTotals;
  /** Things the user should know that change nothing in the plan (a renamed spec's old lockfile...). */
  warnings: string[];
}

interface FetchTake {
  id: string;
  takeN: number;
  /** The take's recorded status: completed (download it), or submitted/processing (follow it, then download). */
  status: string;
}

export interface BuildPlanInput {
  specFile: string;
  spec: Spec;
  shots: readonly ExpandedShot[];
  images: ReadonlyMap<string, ImageInfo>;
  lock: Lockfile;
  endpoint: string;
  now: number;
  /** Size of a file in bytes, or undefined when it does not exist (injected: planning does no I/O itself). */
  fileSize: (abs: string) => number | undefined;
  /** `--max-cost`: a cap on what this one run may add. */
  maxRunCents?: number;
  /** `--only`: shots not selected are left out of the plan. */
  select?: (id: string) => boolean;
  /** Where a take's outputs were downloaded when not here (a state database knows: docs/ARCHITECTURE.md "Team state"). */
  downloadedElsewhere?: (endpoint: string, shot: string, n: number) => string | undefined;
}

const DEFAULT_CONCURRENCY = 4;

/** Pure planning: fingerprints, the action per shot against the lockfile, cost, totals against the budget. */
export function buildPlan(input: BuildPlanInput): Plan {
  const { spec, lock, endpoint } = input;
  const specDir = path.dirname(input.specFile);
  const outputDir = outputDirOf(input.specFile, spec);
  const placeDir = outputPlace(outputDir, endpoint);
  const rel = (abs: string) => path.relative(specDir, abs).split(path.sep).join('/');
  const state = lock.endpoints[endpoint];

  const shots: PlannedShot[] = [];
  for (const shot of input.shots) {
    if (input.select && !input.select(shot.id)) continue;
    const byContent = contentRequest(shot, input.images);
    const fingerprint = fingerprintOf(spec.model, byContent, shot.take);
    const output = path.join(placeDir, `${shot.id}.mp4`);
    const filesOf = (take: LockTake): TakeFiles => {
      const intact = take.outputs.length > 0 && take.outputs.every((o) => input.fileSize(path.resolve(specDir, o.path)) === o.bytes);
      return !intact ? 'missing' : take.outputs[0]?.path === rel(output) ? 'here' : 'elsewhere';
    };
    const elsewhere = Object.keys(lock.endpoints).filter((ep) => ep !== endpoint && (lock.endpoints[ep]?.shots[shot.id]?.takes.length ?? 0) > 0);
    const decision = decideAction({
      model: spec.model,
      fingerprint,
      request: byContent,
      take: shot.take,
      endpoint,
      entry: state?.shots[shot.id],
      elsewhere,
      filesOf,
      ...(input.downloadedElsewhere ? { keptElsewhere: (t: LockTake) => input.downloadedElsewhere?.(endpoint, shot.id, t.n) } : {}),
      now: input.now,
    });
    const duration = shot.request.duration;
    shots.push({
      id: shot.id,
      ...decision,
      duration,
      fingerprint,
      take: shot.take,
      costCents: SUBMITTING.has(decision.action) ? costCents(spec.model, duration) : 0,
      request: shot.request,
      contentRequest: byContent,
      images: shot.images.flatMap((img) => {
        const info = img.local ? input.images.get(img.local) : undefined;
        return info ? [{ field: img.field, path: info.path, sha256: info.sha256, bytes: info.bytes }] : [];
      }),
      output,
    });
  }
  return {
    specFile: input.specFile,
    name: spec.name,
    model: spec.model,
    endpoint,
    outputDir,
    placeDir,
    concurrency: spec.concurrency ?? DEFAULT_CONCURRENCY,
    shots,
    fetch: takesToFetch(input, shots),
    totals: totalsOf(shots, spentCents(lock, endpoint), budgetCentsOf(spec), input.maxRunCents),
    warnings: [],
  };
}

/** Whether an apply of this plan would do anything: a shot to render, resume or restore, or a paid take to fetch. */
export function hasWork(plan: Plan): boolean {
  return plan.fetch.length > 0 || plan.shots.some((s) => s.action !== 'unchanged' && s.action !== 'blocked');
}

/** Paid takes with no video on disk that no planned action covers, still on the server (docs/ARCHITECTURE.md "Outputs"). */
function takesToFetch(input: BuildPlanInput, shots: readonly PlannedShot[]): FetchTake[] {
  const covered = new Set(shots.flatMap((s) => (s.takeN !== undefined && !SUBMITTING.has(s.action) ? [`${s.id}#${s.takeN}`] : [])));
  return undownloadedTakes(input.lock, input.endpoint)
    .filter(({ shot, take }) => !covered.has(`${shot}#${take.n}`))
    .filter(({ take }) => take.status !== 'completed' || downloadable(take, input.now))
    .map(({ shot, take }) => ({ id: shot, takeN: take.n, status: take.status }));
}

/** The spec's output folder: `output:`, or renders/<name>/ beside the spec. */
export function outputDirOf(specFile: string, spec: Spec): string {
  return path.resolve(path.dirname(specFile), spec.output ?? path.join('renders', spec.name));
}

/**
 * Where an endpoint's outputs go (docs/ARCHITECTURE.md "Outputs"): the output folder itself, or for the local mock
 * server its own `.mock/` part, so a free try-out never moves, renames or replaces a real render.
 */
function outputPlace(outputDir: string, endpoint: string): string {
  return endpoint === MOCK_ENDPOINT ? path.join(outputDir, '.mock') : outputDir;
}

function totalsOf(shots: PlannedShot[], spent: number, budget: number, maxRun?: number): PlanTotals {
  const cost = shots.reduce((n, s) => n + s.costCents, 0);
  const after = spent + cost;
  const overSpecBudget = Math.max(0, after - budget);
  const overMaxCost = maxRun === undefined ? 0 : Math.max(0, cost - maxRun);
  return {
    shots: shots.length,
    toSubmit: shots.filter((s) => SUBMITTING.has(s.action)).length,
    costCents: cost,
    spentCents: spent,
    budgetCents: budget,
    afterApplyCents: after,
    overBudgetCents: Math.max(overSpecBudget, overMaxCost),
    overSpecBudgetCents: overSpecBudget,
    overMaxCostCents: overMaxCost,
    maxRunCents: maxRun,
  };
}

function budgetCentsOf(spec: Spec): number {
  // Sub-cent budgets round down: the cap is never looser than written.
  return usdToCents(spec.budget.max_usd) ?? Math.floor(spec.budget.max_usd * 100);
}
