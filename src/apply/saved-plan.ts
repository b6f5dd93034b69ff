import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { RenderError } from '../errors.js';
import type { Plan } from '../plan/build.js';
import { PLAN_FORMAT } from '../report/plan-json.js';
import { jsonFieldIssues, jsonSyntaxError } from '../spec/json-issues.js';
import { canonicalJson } from '../util/canonical-json.js';
import { displayPath, formatFieldPath } from '../util/paths.js';

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
  const shown = displayPath(path.resolve(file));
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  let data: unknown;
  try {
    data = JSON.parse(body);
  } catch (err) {
    const { reason, issue } = jsonSyntaxError(shown, body, err);
    throw new RenderError('PLAN_INVALID', `${shown} is not valid JSON: ${reason}`, { issues: issue ? [issue] : [], hint: REMAKE });
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new RenderError('PLAN_INVALID', `${shown} is not a render plan (format ${PLAN_FORMAT})`, { hint: REMAKE });
  }
  const d = data as Record<string, unknown>;
  if (d.format === undefined && typeof d.version === 'number' && isMap(d.shots)) {
    throw new RenderError('PLAN_INVALID', `${shown} is a render lockfile, not a saved plan`, {
      hint: 'apply the spec itself (render apply SPEC), or save a plan to apply with `render plan SPEC --out PLAN`',
    });
  }
  if (typeof d.format === 'number' && Number.isInteger(d.format) && d.format > PLAN_FORMAT) {
    throw new RenderError('PLAN_INVALID', `${shown} is saved-plan format ${d.format}; this render reads format ${PLAN_FORMAT}`, {
      hint: 'apply it with the render that saved it, or make the plan again with this one: `render plan SPEC --out PLAN`',
    });
  }
  const problems = planProblems(d);
  if (problems.length > 0) {
    const [first] = problems;
    throw new RenderError('PLAN_INVALID', `${shown} is not a render plan (format ${PLAN_FORMAT}): ${formatFieldPath(first!.path)} ${first!.message}`, {
      issues: jsonFieldIssues(shown, body, problems.slice(0, 20)), hint: REMAKE,
    });
  }
  // Saved with an absolute path; a relative one (edited) reads from the plan's folder, not the working directory.
  const spec = path.resolve(path.dirname(path.resolve(file)), d.spec as string);
  if (!existsSync(spec)) {
    throw new RenderError('PLAN_INVALID', `${shown} was made for the spec ${displayPath(spec)}, which is not there`, {
      hint: 'a saved plan names its spec by absolute path: make the plan again in this checkout with `render plan SPEC --out PLAN`',
    });
  }
  const totals = d.totals as Record<string, unknown>;
  return { file, spec, endpoint: d.endpoint as string, shots: d.shots as SavedPlan['shots'], costCents: totals.cost_cents as number };
}

const REMAKE = 'make a new one with `render plan SPEC --out PLAN`';

function isMap(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** What apply reads from a saved plan, each missing or mistyped field with its path. */
function planProblems(d: Record<string, unknown>): { path: (string | number)[]; message: string }[] {
  const problems: { path: (string | number)[]; message: string }[] = [];
  const need = (ok: boolean, p: (string | number)[], what: string, value: unknown) => {
    if (!ok) problems.push({ path: p, message: value === undefined ? `is missing (${what})` : `must be ${what}` });
  };
  need(d.format === PLAN_FORMAT, ['format'], `${PLAN_FORMAT}`, d.format);
  need(typeof d.spec === 'string', ['spec'], 'the path of the spec', d.spec);
  need(typeof d.endpoint === 'string', ['endpoint'], 'a string', d.endpoint);
  need(isMap(d.totals) && Number.isInteger(d.totals.cost_cents), isMap(d.totals) ? ['totals', 'cost_cents'] : ['totals'], 'whole cents', isMap(d.totals) ? d.totals.cost_cents : d.totals);
  if (!Array.isArray(d.shots)) {
    need(false, ['shots'], 'a list of shots', d.shots);
    return problems;
  }
  d.shots.forEach((s: unknown, i) => {
    if (!isMap(s)) return need(false, ['shots', i], 'a shot', s);
    need(typeof s.id === 'string', ['shots', i, 'id'], 'a shot id', s.id);
    need(typeof s.action === 'string', ['shots', i, 'action'], 'an action', s.action);
    need(typeof s.fingerprint === 'string', ['shots', i, 'fingerprint'], 'a fingerprint', s.fingerprint);
    need(Number.isInteger(s.cost_cents), ['shots', i, 'cost_cents'], 'whole cents', s.cost_cents);
    need(isMap(s.request), ['shots', i, 'request'], 'the request body', s.request);
  });
  return problems;
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
