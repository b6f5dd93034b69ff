import path from 'node:path';
import { isRenderError, type Issue } from '../errors.js';
import type { VideoRequest } from '../models.js';
import { issueAt } from '../spec/check.js';
import { specInvalid, type LoadedSpec } from '../spec/load.js';
import { BUILTIN_DEFAULTS, type PromptValue, type ShotDefaults, type ShotSpec, type Spec } from '../spec/schema.js';
import { inspectImages } from './images.js';
import { expandMatrix, matrixSize, type MatrixValue } from './matrix.js';
import { checkShotRules, checkUniqueIds } from './rules.js';
import { createTemplateEngine, TemplateError, type TemplateEngine } from './templates.js';
import type { ExpandedShot, ImageRef } from './types.js';
import { normalizePromptText } from '../util/prompt-text.js';
import { type AsideShot, isUrl, onceAcrossCombinations, setAside } from './aside.js';

/**
 * Expand a checked spec into its shots: the matrix product in the order written, `defaults` merged under
 * each shot, every templated field rendered, then the cross-field rules. All problems are collected and
 * thrown together as one SPEC_INVALID error.
 */
export function expandSpec(loaded: LoadedSpec, spec: Spec, options: { skip?: ReadonlySet<number>; issues?: readonly Issue[] } = {}): ExpandedShot[] {
  // Issues found before (the schema's, of the shots in `skip`) are reported with these, in one pass.
  const issues: Issue[] = [...(options.issues ?? [])];
  const total = spec.shots.reduce((n, s) => n + matrixSize(s.matrix), 0);
  if (spec.max_shots !== undefined && total > spec.max_shots) {
    issues.push(issueAt(loaded, ['max_shots'], `the spec expands to ${total} shots, more than max_shots ${spec.max_shots}`));
    throw specInvalid(loaded.shown, issues);
  }
  if (total > MAX_EXPANDED_SHOTS) throw specInvalid(loaded.shown, tooManyShots(loaded, spec, total));
  const engine = openTemplates(loaded, spec);
  const ctx: ExpandContext = { loaded, spec, engine, issues, known: new Set(Object.keys(spec.elements ?? {})), skip: options.skip, partial: [] };

  const shots: ExpandedShot[] = [];
  for (const [index, shot] of spec.shots.entries()) {
    if (ctx.skip?.has(index)) continue;
    const combos = expandMatrix(shot.matrix);
    const before = shots.length;
    const issuesBefore = issues.length;
    for (const combo of combos) {
      const expanded = expandShot(ctx, shot, index, combo);
      if (expanded) shots.push(expanded);
      // Bounded work (docs/ARCHITECTURE.md): past the spec-wide template budget, stop with what was found.
      if (engine.exhausted) throw specInvalid(loaded.shown, issues);
    }
    if (combos.length > 1) issues.splice(issuesBefore, Infinity, ...onceAcrossCombinations(issues.slice(issuesBefore), combos.map(matrixNote)));
    const ids = new Set(shots.slice(before).map((s) => s.id));
    if (combos.length > 1 && ids.size === 1 && shots.length - before === combos.length) {
      shots.length = before; // one error for the shot, not one duplicate per combination
      const example = `${shot.id}-{{${Object.keys(shot.matrix ?? {})[0]}}}`;
      issues.push(
        issueAt(
          loaded,
          ['shots', index, 'id'],
          `a matrix shot's id must vary with the matrix (e.g. "${example}"), got "${[...ids][0]}" for all ${combos.length} combinations`,
        ),
      );
    }
  }
  // Shots set aside (by the schema) or that failed templating still name ids and images: checked too, so one run
  // shows every problem of the spec (docs/SPEC.md "Rules").
  const aside = [...setAside(loaded, options.skip), ...ctx.partial];
  const named = [...shots, ...aside].filter((s): s is AsideShot & { id: string } => s.id !== undefined).sort((a, b) => a.source - b.source);
  issues.push(...checkUniqueIds(loaded, named));
  if (issues.length > 0) throw specInvalid(loaded.shown, [...issues, ...imageIssues(loaded, [...shots, ...aside])]);
  return shots;
}

/**
 * A hard cap on the expanded count, whatever max_shots says: a few short lists multiply into billions of
 * combinations (100^4 = 10^8), which would exhaust memory (a crash, not an error) before anything is checked.
 */
const MAX_EXPANDED_SHOTS = 100_000;

function tooManyShots(loaded: LoadedSpec, spec: Spec, total: number): Issue[] {
  const n = (x: number) => x.toLocaleString('en-US');
  const big = spec.shots.map((s, i) => [i, matrixSize(s.matrix)] as const).filter(([, size]) => size > 1);
  const where = big.length > 0 ? big.reduce((a, b) => (b[1] > a[1] ? b : a)) : undefined;
  const message = `expands to ${n(where?.[1] ?? total)} shots${where && where[1] !== total ? ` (${n(total)} in the whole spec)` : ''}; render takes at most ${n(MAX_EXPANDED_SHOTS)} per spec: split the campaign into several specs`;
  return [issueAt(loaded, where ? ['shots', where[0], 'matrix'] : ['shots'], message)];
}

function imageIssues(loaded: LoadedSpec, shots: readonly Pick<ExpandedShot, 'source' | 'images'>[]): Issue[] {
  try {
    inspectImages(loaded, shots);
    return [];
  } catch (err) {
    if (isRenderError(err, 'SPEC_INVALID')) return err.issues;
    throw err;
  }
}

/** The template engine with the spec's partials; a templates folder that cannot be read is an error at `templates`. */
function openTemplates(loaded: LoadedSpec, spec: Spec): TemplateEngine {
  try {
    return createTemplateEngine(spec.templates ? path.resolve(loaded.dir, spec.templates) : undefined);
  } catch (err) {
    if (!(err instanceof TemplateError)) throw err;
    throw specInvalid(loaded.shown, [issueAt(loaded, ['templates'], err.message)]);
  }
}

interface ExpandContext {
  loaded: LoadedSpec;
  spec: Spec;
  engine: TemplateEngine;
  issues: Issue[];
  known: ReadonlySet<string>;
  /** Shots the schema refused: not expanded, their issues already reported. */
  skip?: ReadonlySet<number>;
  /** What is known of shots whose templates failed: their images (and ids, when they rendered). */
  partial: AsideShot[];
}

/** The shot's own fields over `defaults`; prompt and multi_prompt are one slot, so a shot's own wins whole. */
function mergeDefaults(defaults: ShotDefaults, shot: ShotSpec): ShotSpec {
  const base: ShotDefaults = { ...defaults };
  if (shot.prompt !== undefined || shot.multi_prompt !== undefined) {
    delete base.prompt;
    delete base.multi_prompt;
  }
  // A multi-prompt shot's duration is its own or the sum of its parts, never a default.
  if (shot.multi_prompt !== undefined || (shot.prompt === undefined && base.multi_prompt !== undefined)) delete base.duration;
  return { ...base, ...shot };
}

function expandShot(ctx: ExpandContext, raw: ShotSpec, index: number, combo: Record<string, MatrixValue>): ExpandedShot | undefined {
  const { spec, loaded, issues } = ctx;
  const shot = mergeDefaults(spec.defaults ?? {}, raw);
  const duration = shot.duration ?? sumDurations(shot) ?? BUILTIN_DEFAULTS.duration;
  const shotVars = { ...shot, duration, take: shot.take ?? 1, matrix: undefined };
  const context: Record<string, unknown> = { ...(spec.vars ?? {}), ...combo, shot: shotVars };
  const elements = [...(shot.elements ?? [])];
  const data = { elements, known: ctx.known };
  const at = (field: PropertyKey[]) => ['shots', index, ...field];
  let failed = false;

  const render = (source: string, field: PropertyKey[], file?: string): string => {
    try {
      return ctx.engine.render(source, context, data);
    } catch (err) {
      if (!(err instanceof TemplateError)) throw err;
      failed = true;
      const where = file ? ` in ${path.relative(loaded.dir, file) || file}` : '';
      issues.push(issueAt(loaded, at(field), `${err.message}${where}${matrixNote(combo)}`));
      return '';
    }
  };
  const renderPrompt = (value: PromptValue | undefined, field: string): string | undefined => {
    if (value === undefined) return undefined;
    if (typeof value === 'string') return render(value, [field]);
    const file = path.resolve(loaded.dir, render(value.template, [field, 'template']));
    try {
      return render(ctx.engine.readTemplate(file), [field, 'template'], file);
    } catch (err) {
      if (!(err instanceof TemplateError)) throw err;
      failed = true;
      issues.push(issueAt(loaded, at([field, 'template']), err.message));
      return undefined;
    }
  };

  // `shot.*` reads the shot's fields as rendered: {{shot.id}} in a prompt is `city-paris`, not `city-{{city}}`.
  const id = render(raw.id, ['id']);
  shotVars.id = id;
  const request: VideoRequest = { duration };
  const images: ImageRef[] = [];
  for (const field of ['image', 'end_image'] as const) {
    const value = shot[field];
    if (value === undefined) continue;
    const ref = render(value, [field]);
    request[field] = ref;
    shotVars[field] = ref;
    images.push({ field, ref, local: isUrl(ref) ? undefined : path.resolve(loaded.dir, ref) });
  }
  const prompt = renderPrompt(shot.prompt, 'prompt');
  // Normalized before it is fingerprinted and sent: an invisible edit never costs a render (docs/SPEC.md "Prompts").
  if (prompt !== undefined) request.prompt = normalizePromptText(prompt);
  if (shot.multi_prompt) {
    request.multi_prompt = shot.multi_prompt.map((item, i) => ({
      prompt: normalizePromptText(render(item.prompt, ['multi_prompt', i, 'prompt'])),
      duration: item.duration,
    }));
  }
  const negative = renderPrompt(shot.negative_prompt, 'negative_prompt');
  if (negative !== undefined) request.negative_prompt = normalizePromptText(negative);
  request.cfg_scale = shot.cfg_scale ?? BUILTIN_DEFAULTS.cfg_scale;
  request.sound = shot.sound ?? BUILTIN_DEFAULTS.sound;
  request.shot_type = shot.shot_type ?? BUILTIN_DEFAULTS.shot_type;
  if (elements.length > 0) {
    request.element_list = elements.map((name) => ({ element_id: spec.elements?.[name]?.id ?? '' }));
  }
  if (failed) {
    ctx.partial.push({ id: id || undefined, source: index, images });
    return undefined;
  }

  const expanded: ExpandedShot = { id, source: index, matrix: combo, take: raw.take ?? 1, request, images };
  const ruleIssues = checkShotRules({ loaded, spec, shot, expanded, elements, note: matrixNote(combo) });
  issues.push(...ruleIssues);
  if (ruleIssues.length === 0) return expanded;
  ctx.partial.push({ id, source: index, images }); // its id and images are still checked (one pass, each problem once)
  return undefined;
}

function sumDurations(shot: ShotSpec): number | undefined {
  return shot.multi_prompt?.reduce((n, item) => n + item.duration, 0);
}

function matrixNote(combo: Record<string, MatrixValue>): string {
  const entries = Object.entries(combo);
  return entries.length ? ` (with ${entries.map(([k, v]) => `${k}=${String(v)}`).join(', ')})` : '';
}
