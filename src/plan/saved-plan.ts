import { existsSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { RenderError } from '../errors.js';
import { describeEndpoint, endpointIdentity } from '../endpoint.js';
import { usdNumber } from '../money.js';
import { jsonFieldIssues, jsonSyntaxError } from '../spec/positions.js';
import { canonicalJson } from '../util/canonical-json.js';
import { displayPath, formatFieldPath } from '../util/paths.js';
import type { Plan } from './build.js';
import { ACTIONS } from './diff.js';
import { getQuoteSchemas, quotedOf, quoteTotalsJson, shapeJson } from './quote-json.js';
import type { PlanQuotes } from './quotes.js';

/**
 * The saved-plan format (`render plan --out`, also what `plan --json` prints): one zod schema, written by
 * `planToJson` and read back by `readSavedPlan`, so the writer and the reader cannot drift apart.
 */

/** Version of the saved-plan format, checked when a plan is applied. */
const PLAN_FORMAT = 1;

const need = (what: string) => ({ error: (iss: { input: unknown }) => (iss.input === undefined ? `is missing (${what})` : `must be ${what}`) });
const cents = (what: string) => z.number(need(what)).int(need(what));

/**
 * Built on first use, as the quote schemas are (plan/quote-json.ts): `render plan` writes its JSON without it, only
 * reading a saved plan and `render schema` need it.
 */
function buildSavedPlanSchema() {
  const quote = getQuoteSchemas();
  const SavedShotSchema = z.object(
    {
      id: z.string(need('a shot id')).describe('the shot id, after matrix expansion'),
      action: z.enum(ACTIONS, need('an action')).describe('what apply does with the shot (docs/SPEC.md "Plan actions")'),
      reason: z.string(need('a reason')).describe('why, in words'),
      duration: z.number(need('seconds')).int(need('seconds')).describe('seconds of video'),
      cost_usd: z.number(need('dollars')).describe('what this apply spends on the shot, in US dollars'),
      cost_cents: cents('whole cents').describe('the same in integer cents'),
      fingerprint: z.string(need('a fingerprint')).describe('sha256 of the request by content, model and take'),
      take: z.number(need('a take number')).int(need('a take number')).describe("the spec's take number (bump it to render the same inputs again)"),
      /** The body to send; local images stand where their upload URLs will go (relative to the spec). */
      request: z
        .record(z.string(), z.unknown(), need('the request body'))
        .describe('the exact body to send; local images stand where their upload URLs will go'),
      images: z
        .array(z.object({ field: z.enum(['image', 'end_image']), path: z.string(), sha256: z.string(), bytes: z.number().int() }), need('a list of images'))
        .describe('the local images the request names, by content'),
      output: z.string(need('the output path')).describe('where the video goes, relative to the spec'),
      /** The take the action concerns (resumed, restored, kept, replaced), by its number. */
      take_n: z.number().int().optional().describe('the take the action concerns (resumed, restored, replaced), by its number'),
      restore_from: z.enum(['file', 'download']).optional().describe('restore: from the file in .takes/, or downloaded again'),
      /** For replace: each field that differs from the current take. */
      changes: z
        .array(z.object({ field: z.string(), before: z.unknown(), after: z.unknown() }))
        .optional()
        .describe('replace: each request field that differs from the current take'),
      ...quote.shot,
    },
    need('a shot'),
  );

  return z.object({
    format: z.literal(PLAN_FORMAT, need(`${PLAN_FORMAT}`)).describe('the saved-plan format version'),
    spec: z.string(need('the path of the spec')).describe('the spec file, absolute'),
    name: z.string(need('the spec name')).describe("the spec's name"),
    model: z.string(need('a model id')).describe('the model every shot is rendered on'),
    endpoint: z.string(need('a string')).describe('where the plan renders: `mock`, or the API origin'),
    output: z.string(need('the output folder')).describe('the output folder, absolute'),
    shots: z.array(SavedShotSchema, need('a list of shots')).describe('one entry per shot, in spec order'),
    fetch: z
      .array(z.strictObject({ id: z.string(), take_n: z.number().int(), status: z.string() }))
      .optional()
      .describe('paid takes never downloaded that apply fetches into .takes/ for $0'),
    warnings: z.array(z.string()).optional().describe('things to know before applying'),
    quotes: z.array(quote.shape).optional().describe("plan --quote: the server's price of each distinct request shape"),
    totals: z
      .object(
        {
          shots: z.number().int(),
          to_submit: z.number().int(),
          cost_usd: z.number(),
          spent_usd: z.number(),
          budget_usd: z.number(),
          after_apply_usd: z.number(),
          over_budget_usd: z.number(),
          over_budget_cents: cents('whole cents').optional(),
          max_cost_usd: z.number().optional(),
          max_cost_cents: cents('whole cents').optional(),
          cost_cents: cents('whole cents'),
          spent_cents: cents('whole cents'),
          budget_cents: cents('whole cents'),
          after_apply_cents: cents('whole cents'),
          ...quote.totals,
        },
        need('the totals'),
      )
      .describe('money in dollars (_usd) and integer cents (_cents): this apply, spent before, the budget, after the apply'),
  });
}

let savedPlanSchema: ReturnType<typeof buildSavedPlanSchema> | undefined;
export const getSavedPlanSchema = (): ReturnType<typeof buildSavedPlanSchema> => (savedPlanSchema ??= buildSavedPlanSchema());
export type SavedPlanJson = z.infer<ReturnType<typeof buildSavedPlanSchema>>;

/**
 * `plan --json` and `plan --out`: one JSON object, the shape docs/SPEC.md "Commands and exit codes" names, plus what
 * apply needs to check it, and with `plan --quote` the server's prices.
 */
export function planToJson(plan: Plan, quotes?: PlanQuotes): SavedPlanJson {
  const specDir = path.dirname(plan.specFile);
  const rel = (abs: string) => path.relative(specDir, abs).split(path.sep).join('/');
  const t = plan.totals;
  return {
    format: PLAN_FORMAT,
    spec: plan.specFile,
    name: plan.name,
    model: plan.model,
    endpoint: plan.endpoint,
    output: plan.outputDir,
    shots: plan.shots.map((s) => ({
      id: s.id,
      action: s.action,
      reason: s.reason,
      duration: s.duration,
      cost_usd: usdNumber(s.costCents),
      cost_cents: s.costCents,
      fingerprint: s.fingerprint,
      take: s.take,
      request: { ...s.request },
      images: s.images.map((i) => ({ field: i.field, path: rel(i.path), sha256: i.sha256, bytes: i.bytes })),
      output: rel(s.output),
      ...(s.takeN === undefined ? {} : { take_n: s.takeN }),
      ...(s.restoreFrom === undefined ? {} : { restore_from: s.restoreFrom }),
      ...(s.changes === undefined ? {} : { changes: s.changes }),
      ...quotedOf(quotes, s.id),
    })),
    fetch: plan.fetch.map((f) => ({ id: f.id, take_n: f.takeN, status: f.status })),
    warnings: plan.warnings,
    ...(quotes ? { quotes: quotes.shapes.map(shapeJson) } : {}),
    totals: {
      shots: t.shots,
      to_submit: t.toSubmit,
      cost_usd: usdNumber(t.costCents),
      spent_usd: usdNumber(t.spentCents),
      budget_usd: usdNumber(t.budgetCents),
      after_apply_usd: usdNumber(t.afterApplyCents),
      over_budget_usd: usdNumber(t.overBudgetCents),
      over_budget_cents: t.overBudgetCents,
      ...(t.maxRunCents === undefined ? {} : { max_cost_usd: usdNumber(t.maxRunCents), max_cost_cents: t.maxRunCents }),
      cost_cents: t.costCents,
      spent_cents: t.spentCents,
      budget_cents: t.budgetCents,
      after_apply_cents: t.afterApplyCents,
      ...(quotes ? quoteTotalsJson(quotes) : {}),
    },
  };
}

/** A saved plan as apply takes it: the file it came from, and its spec as an absolute path. */
export interface SavedPlan extends SavedPlanJson {
  file: string;
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
  const parsed = getSavedPlanSchema().safeParse(d);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => ({ path: i.path as (string | number)[], message: i.message }));
    const [first] = problems;
    throw new RenderError('PLAN_INVALID', `${shown} is not a render plan (format ${PLAN_FORMAT}): ${formatFieldPath(first!.path)} ${first!.message}`, {
      issues: jsonFieldIssues(shown, body, problems.slice(0, 20)),
      hint: REMAKE,
    });
  }
  // Saved with an absolute path; a relative one (edited) reads from the plan's folder, not the working directory.
  const spec = path.resolve(path.dirname(path.resolve(file)), parsed.data.spec);
  if (!existsSync(spec)) {
    throw new RenderError('PLAN_INVALID', `${shown} was made for the spec ${displayPath(spec)}, which is not there`, {
      hint: 'a saved plan names its spec by absolute path: make the plan again in this checkout with `render plan SPEC --out PLAN`',
    });
  }
  return { ...parsed.data, file, spec };
}

const REMAKE = 'make a new one with `render plan SPEC --out PLAN`';

function isMap(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * A saved plan is applied only if planning now gives exactly it: the same shots, actions, fingerprints and
 * cost. Anything else (the spec, an image or the lockfile changed, or the file was edited) is refused,
 * naming the shots, so what runs is always what was reviewed.
 */
export function checkSavedPlan(saved: SavedPlan, current: Plan): void {
  const problems: string[] = [];
  // Another endpoint has other takes: what it plans differs because the endpoint changed, not the lockfile.
  const moved = endpointIdentity(saved.endpoint) !== endpointIdentity(current.endpoint);
  if (moved) problems.push(`the endpoint changed: it was made for ${describeEndpoint(saved.endpoint)}, this run is on ${describeEndpoint(current.endpoint)}`);
  const now = new Map(current.shots.map((s) => [s.id, s]));
  const before = new Set(saved.shots.map((s) => s.id));
  for (const s of saved.shots) {
    const c = now.get(s.id);
    if (!c) problems.push(`${s.id}: no longer in the spec`);
    else if (c.fingerprint !== s.fingerprint) problems.push(`${s.id}: its inputs changed`);
    else if (c.action !== s.action) problems.push(`${s.id}: was "${s.action}", is now "${c.action}" (the ${moved ? 'endpoint' : 'lockfile'} changed)`);
    else if (c.costCents !== s.cost_cents) problems.push(`${s.id}: cost differs from the saved plan`);
    // The fingerprint is not derived from the file's `request`: an edited request would be shown, not rendered.
    else if (canonicalJson(c.request) !== canonicalJson(s.request)) problems.push(`${s.id}: its request differs from the saved plan`);
  }
  for (const c of current.shots) if (!before.has(c.id)) problems.push(`${c.id}: new in the spec since the plan was saved`);
  if (problems.length === 0 && saved.totals.cost_cents !== current.totals.costCents) problems.push('the total cost differs from the saved plan');
  if (problems.length > 0) {
    throw new RenderError(
      'PLAN_STALE',
      `the saved plan ${displayPath(saved.file)} is stale: ${problems.length} ${problems.length === 1 ? 'difference' : 'differences'}`,
      {
        issues: problems.slice(0, 50).map((message) => ({ file: displayPath(saved.file), message })),
        hint: `review a fresh plan: render plan ${displayPath(saved.spec)} --out ${displayPath(saved.file)}`,
      },
    );
  }
}
