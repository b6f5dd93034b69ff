import path from 'node:path';
import type { Lockfile, LockTake } from '../lock/schema.js';
import { spentCents } from '../lock/takes.js';
import { costCents, type VideoRequest } from '../models.js';
import { usdToCents } from '../money.js';
import type { Spec } from '../spec/schema.js';
import { decideAction, SUBMITTING, type Action } from './diff.js';
import { contentRequest, fingerprintOf } from './fingerprint.js';
import type { ExpandedShot, ImageInfo } from './types.js';

export interface PlannedShot {
  id: string;
  action: Action;
  reason: string;
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
  /** Absolute path of the primary output file. */
  output: string;
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
  outputDir: string;
  concurrency: number;
  shots: PlannedShot[];
  totals: PlanTotals;
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
}

const DEFAULT_CONCURRENCY = 4;

/** Pure planning: fingerprints, the action per shot against the lockfile, cost, totals against the budget. */
export function buildPlan(input: BuildPlanInput): Plan {
  const { spec, lock, endpoint } = input;
  const specDir = path.dirname(input.specFile);
  const outputDir = path.resolve(specDir, spec.output ?? path.join('renders', spec.name));
  const outputsIntact = (take: LockTake) => take.outputs.length > 0 && take.outputs.every((o) => input.fileSize(path.resolve(specDir, o.path)) === o.bytes);

  const shots: PlannedShot[] = [];
  for (const shot of input.shots) {
    if (input.select && !input.select(shot.id)) continue;
    const byContent = contentRequest(shot, input.images);
    const fingerprint = fingerprintOf(spec.model, byContent, shot.take);
    const { action, reason } = decideAction({
      model: spec.model,
      fingerprint,
      request: byContent,
      take: shot.take,
      endpoint,
      entry: lock.shots[shot.id],
      outputsIntact,
      now: input.now,
    });
    const duration = shot.request.duration;
    shots.push({
      id: shot.id,
      action,
      reason,
      duration,
      fingerprint,
      take: shot.take,
      costCents: SUBMITTING.has(action) ? costCents(spec.model, duration) : 0,
      request: shot.request,
      contentRequest: byContent,
      images: shot.images.flatMap((img) => {
        const info = img.local ? input.images.get(img.local) : undefined;
        return info ? [{ field: img.field, path: info.path, sha256: info.sha256, bytes: info.bytes }] : [];
      }),
      output: path.join(outputDir, `${shot.id}.mp4`),
    });
  }
  return {
    specFile: input.specFile,
    name: spec.name,
    model: spec.model,
    endpoint,
    outputDir,
    concurrency: spec.concurrency ?? DEFAULT_CONCURRENCY,
    shots,
    totals: totalsOf(shots, spentCents(lock, endpoint), budgetCentsOf(spec), input.maxRunCents),
  };
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
