import type { Issue } from '../errors.js';
import { MODELS } from '../models.js';
import { issueAt } from '../spec/check.js';
import type { LoadedSpec } from '../spec/load.js';
import type { ShotSpec, Spec } from '../spec/schema.js';
import type { ExpandedShot } from './types.js';

/**
 * Kling's own caps ([3p] in docs/ARCHITECTURE.md "API facts we rely on"): the server would refuse longer text, so we
 * refuse it first, for free.
 */
const MAX_PROMPT_CHARS = 2500;
const MAX_MULTI_PROMPT_CHARS = 512;
const MAX_ELEMENTS = 3;
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const MAX_ID_CHARS = 100;

export interface ShotRuleInput {
  loaded: LoadedSpec;
  spec: Spec;
  /** The shot's fields merged over defaults, before templating. */
  shot: ShotSpec;
  expanded: ExpandedShot;
  /** Element names after the {{element}} helper added its own. */
  elements: string[];
  /** ` (with city=paris)` for a matrix shot, so an error names the combination. */
  note: string;
}

/** The cross-field rules of docs/SPEC.md "Rules" for one expanded shot. */
export function checkShotRules(input: ShotRuleInput): Issue[] {
  const { loaded, spec, shot, expanded, elements, note } = input;
  const { request } = expanded;
  const issues: Issue[] = [];
  const at = (field: PropertyKey[], message: string) => issues.push(issueAt(loaded, ['shots', expanded.source, ...field], message + note));

  if (!ID_PATTERN.test(expanded.id) || expanded.id.length > MAX_ID_CHARS) {
    at(
      ['id'],
      `must be 1 to ${MAX_ID_CHARS} characters of A-Z a-z 0-9 . _ - starting with a letter or digit (it names the output file), got ${JSON.stringify(expanded.id)}`,
    );
  }
  if ((shot.prompt === undefined) === (shot.multi_prompt === undefined)) {
    at(
      shot.prompt === undefined ? [] : ['multi_prompt'],
      shot.prompt === undefined ? 'needs exactly one of prompt and multi_prompt, got neither' : 'needs exactly one of prompt and multi_prompt, got both',
    );
  }
  if (request.multi_prompt) {
    const sum = request.multi_prompt.reduce((n, item) => n + item.duration, 0);
    if (sum !== request.duration) {
      at(
        ['multi_prompt'],
        `durations must add up to the shot's duration ${request.duration}, got ${request.multi_prompt.length > 1 ? `${request.multi_prompt.map((i) => i.duration).join(' + ')} = ` : ''}${sum}`,
      );
    } else if (sum < 3 || sum > 15) {
      at(['multi_prompt'], `durations must add up to 3..15 seconds (the shot's duration), got ${sum}`);
    }
    if (request.end_image !== undefined) at(['end_image'], 'is not allowed with multi_prompt (the API refuses it)');
    request.multi_prompt.forEach((item, i) => {
      if (item.prompt.length > MAX_MULTI_PROMPT_CHARS)
        at(['multi_prompt', i, 'prompt'], `must be at most ${MAX_MULTI_PROMPT_CHARS} characters after templating, got ${item.prompt.length}`);
    });
  }
  for (const field of ['prompt', 'negative_prompt'] as const) {
    const value = request[field];
    if (value !== undefined && value.length > MAX_PROMPT_CHARS)
      at([field], `must be at most ${MAX_PROMPT_CHARS} characters after templating, got ${value.length}`);
    if (value !== undefined && field === 'prompt' && value.trim() === '') at([field], 'is empty after templating');
  }
  if (elements.length > MAX_ELEMENTS) {
    at(['elements'], `may use at most ${MAX_ELEMENTS} elements (including those added by {{element}}), got ${elements.length}: ${elements.join(', ')}`);
  }
  const declared = shot.elements ?? [];
  declared.forEach((name, i) => {
    if (!spec.elements?.[name]) {
      const known = Object.keys(spec.elements ?? {});
      at(['elements', i], `element "${name}" is not defined in elements${known.length ? ` (defined: ${known.join(', ')})` : ' (the spec defines none)'}`);
    }
  });
  issues.push(...checkImageFields(input));
  return issues;
}

function checkImageFields({ loaded, spec, expanded, note }: ShotRuleInput): Issue[] {
  const issues: Issue[] = [];
  const takesImage = MODELS[spec.model]?.takesImage ?? true;
  const at = (field: PropertyKey[], message: string) => issues.push(issueAt(loaded, ['shots', expanded.source, ...field], message + note));
  if (takesImage && expanded.request.image === undefined) at(['image'], `is required by ${spec.model} (a local PNG/JPEG or an https URL)`);
  for (const img of expanded.images) {
    if (!takesImage) at([img.field], `is not accepted by ${spec.model} (a text-to-video model)`);
    else if (!img.local && !/^https:\/\//i.test(img.ref)) at([img.field], `must be a local file or an https URL, got ${JSON.stringify(img.ref)}`);
  }
  return issues;
}

/** Expanded ids must be unique across the spec; they name output files. */
export function checkUniqueIds(loaded: LoadedSpec, shots: readonly Pick<ExpandedShot, 'id' | 'source'>[]): Issue[] {
  const first = new Map<string, Pick<ExpandedShot, 'id' | 'source'>>();
  const issues: Issue[] = [];
  for (const shot of shots) {
    const prev = first.get(shot.id.toLowerCase());
    if (!prev) {
      first.set(shot.id.toLowerCase(), shot);
      continue;
    }
    const where = prev.source === shot.source ? 'another combination of the same matrix' : `shots[${prev.source}]`;
    const same = prev.id === shot.id ? '' : ` (differs only in letter case from "${prev.id}": output files would collide on case-insensitive disks)`;
    issues.push(issueAt(loaded, ['shots', shot.source, 'id'], `duplicate shot id "${shot.id}", also produced by ${where}${same}`));
  }
  return issues;
}
