import { readFileSync } from 'node:fs';
import { RenderError } from '../errors.js';
import type { Plan } from '../plan/build.js';
import { PLAN_FORMAT } from '../report/plan-json.js';
import { canonicalJson } from '../util/canonical-json.js';
import { displayPath } from '../util/paths.js';

/** What apply needs from a saved plan (`render plan --out`): where the spec is, and what was shown. */
export interface SavedPlan {
  file: string;
  spec: string;
  endpoint: string;
  /** `request` is the body shown for review (local paths standing for uploads). */
  shots: { id: string; action: string; fingerprint: string; cost_cents: number; request: Record<string, unknown> }[];
  costCents: number;
}

/** A file is taken as a saved plan when it is JSON (a spec is YAML and never starts with `{`). */
export function looksLikeSavedPlan(text: string): boolean {
  return text.trimStart().startsWith('{');
}

export function readSavedPlan(file: string, text: string): SavedPlan {
  const shown = displayPath(file);
  let data: Record<string, unknown>;
  try {
    data = JSON.parse(text) as Record<string, unknown>;
  } catch (err) {
    throw new RenderError('PLAN_INVALID', `${shown} is not valid JSON: ${(err as Error).message}`, { hint: 'make a new one with `render plan SPEC --out PLAN`' });
  }
  const shots = data.shots;
  const totals = data.totals as Record<string, unknown> | undefined;
  const ok = data.format === PLAN_FORMAT && typeof data.spec === 'string' && typeof data.endpoint === 'string' && Array.isArray(shots)
    && shots.every((s) => s && typeof s.id === 'string' && typeof s.action === 'string' && typeof s.fingerprint === 'string' && Number.isInteger(s.cost_cents)
      && s.request !== null && typeof s.request === 'object' && !Array.isArray(s.request))
    && Number.isInteger(totals?.cost_cents);
  if (!ok) {
    throw new RenderError('PLAN_INVALID', `${shown} is not a render plan (format ${PLAN_FORMAT})`, { hint: 'make one with `render plan SPEC --out PLAN`' });
  }
  return { file, spec: data.spec as string, endpoint: data.endpoint as string, shots: shots as SavedPlan['shots'], costCents: totals!.cost_cents as number };
}

export function readSavedPlanFile(file: string): SavedPlan {
  return readSavedPlan(file, readFileSync(file, 'utf8'));
}

/**
 * A saved plan is applied only if planning now gives exactly it: the same shots, actions, fingerprints and
 * cost. Anything else (the spec, an image or the lockfile changed, or the file was edited) is refused,
 * naming the shots, so what runs is always what was reviewed.
 */
export function checkSavedPlan(saved: SavedPlan, current: Plan): void {
  const problems: string[] = [];
  if (saved.endpoint !== current.endpoint) problems.push(`it was made for ${saved.endpoint}, this run is on ${current.endpoint}`);
  const now = new Map(current.shots.map((s) => [s.id, s]));
  const before = new Set(saved.shots.map((s) => s.id));
  for (const s of saved.shots) {
    const c = now.get(s.id);
    if (!c) problems.push(`${s.id}: no longer in the spec`);
    else if (c.fingerprint !== s.fingerprint) problems.push(`${s.id}: its inputs changed`);
    else if (c.action !== s.action) problems.push(`${s.id}: was "${s.action}", is now "${c.action}" (the lockfile changed)`);
    else if (c.costCents !== s.cost_cents) problems.push(`${s.id}: cost differs from the saved plan`);
    // The fingerprint is not derived from the file's `request`: an edited request would be shown, not rendered.
    else if (canonicalJson(c.request) !== canonicalJson(s.request)) problems.push(`${s.id}: its request differs from the saved plan`);
  }
  for (const c of current.shots) if (!before.has(c.id)) problems.push(`${c.id}: new in the spec since the plan was saved`);
  if (problems.length === 0 && saved.costCents !== current.totals.costCents) problems.push('the total cost differs from the saved plan');
  if (problems.length > 0) {
    throw new RenderError('PLAN_STALE', `the saved plan ${displayPath(saved.file)} is stale: ${problems.length} ${problems.length === 1 ? 'difference' : 'differences'}`, {
      issues: problems.slice(0, 50).map((message) => ({ file: displayPath(saved.file), message })),
      hint: `review a fresh plan: render plan ${displayPath(saved.spec)} --out ${displayPath(saved.file)}`,
    });
  }
}
