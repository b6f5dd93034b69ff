import type { z } from 'zod';
import type { Issue } from '../errors.js';
import { formatFieldPath } from '../util/paths.js';
import { specInvalid, type LoadedSpec } from './load.js';
import { SpecSchema, type Spec } from './schema.js';

/**
 * Structure check of a loaded spec: zod with strict objects, every issue turned into a located, readable
 * Issue. Returns the typed spec or throws one SPEC_INVALID error carrying all issues at once.
 */
export function checkSpec(loaded: LoadedSpec): Spec {
  const checked = checkSpecParts(loaded);
  if (checked.issues.length === 0 && checked.spec) return checked.spec;
  throw specInvalid(loaded.shown, checked.issues);
}

export interface CheckedSpec {
  /** The spec, or (when only some shots or fields that do not shape the shots are wrong) one with those set aside. */
  spec?: Spec;
  issues: Issue[];
  /** Indexes of the shots the schema refused: set aside, so the other shots can still be expanded and checked. */
  skip: Set<number>;
}

/**
 * Fields whose problems leave the shots' expansion as it would be: a wrong budget or name does not change what
 * a shot renders, so the shots are still expanded and checked in the same run. A wrong `defaults`, `vars`,
 * `elements` or `templates` would make every shot fail after it: those stop at the schema's issues.
 */
const SALVAGE: Record<string, unknown> = {
  $schema: undefined,
  version: 1,
  name: 'x',
  model: undefined,
  output: undefined,
  budget: { max_usd: 0 },
  max_shots: undefined,
  concurrency: undefined,
};

/**
 * The schema's issues, and what can still be checked past them (docs/SPEC.md "Rules": all errors of a spec at once):
 * a shot the schema refuses is set aside (a placeholder holds its index, so later issues keep their places), a
 * top-level field in SALVAGE is replaced by a valid value, and the rest of the spec goes on to expansion.
 */
export function checkSpecParts(loaded: LoadedSpec): CheckedSpec {
  // jitless: a spec is checked once a process, so zod's compiled fast path (a generated function per object schema,
  // compiled by V8 on every start, never code-cached) costs more than it saves: about 6 ms of a `plan` start, and
  // the same time on a spec of 10,000 written-out shots (docs/ARCHITECTURE.md "Start-up").
  const result = SpecSchema.safeParse(loaded.data, { reportInput: true, jitless: true });
  if (result.success) return { spec: result.data, issues: [], skip: new Set() };
  const zodIssues = withoutFollowOns(result.error.issues);
  const issues = zodIssues.flatMap((i) => toIssues(loaded, i));
  const data = loaded.data as Record<string, unknown>;
  const skip = new Set<number>();
  const fields = new Set<string>();
  for (const i of zodIssues) {
    const [head, index] = i.path;
    if (head === 'shots' && typeof index === 'number') skip.add(index);
    else if (i.code === 'unrecognized_keys' && i.path.length === 0) for (const k of i.keys) fields.add(k);
    else fields.add(String(head ?? ''));
  }
  if (!isMap(data) || !Array.isArray(data.shots) || [...fields].some((f) => !(f in SALVAGE))) return { issues, skip };
  const salvaged: Record<string, unknown> = { ...data, shots: data.shots.map((s, i) => (skip.has(i) ? { id: `skipped-${i}` } : s)) };
  for (const f of fields) {
    if (SALVAGE[f] === undefined) delete salvaged[f];
    else salvaged[f] = SALVAGE[f];
  }
  const again = SpecSchema.safeParse(salvaged, { jitless: true });
  return again.success ? { spec: again.data, issues, skip } : { issues, skip };
}

function isMap(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * zod 4 still runs an array's length checks on a value of the wrong type (`elements: abcd` gave "must be a list"
 * and "may name at most 3 elements"): once a value has the wrong type, other complaints about it are noise.
 */
function withoutFollowOns(issues: readonly z.core.$ZodIssue[]): z.core.$ZodIssue[] {
  const key = (i: z.core.$ZodIssue) => JSON.stringify(i.path.map(String));
  const wrongType = new Set(issues.filter((i) => i.code === 'invalid_type').map(key));
  return issues.filter((i) => i.code === 'invalid_type' || !wrongType.has(key(i)));
}

/** Point an issue at a path in the spec: `file:line:col field.path: message`. */
export function issueAt(loaded: LoadedSpec, p: readonly PropertyKey[], message: string): Issue {
  const pos = loaded.locate(p);
  return { file: loaded.shown, line: pos?.line, col: pos?.col, path: formatFieldPath(p) || undefined, message };
}

function toIssues(loaded: LoadedSpec, issue: z.core.$ZodIssue): Issue[] {
  if (issue.code === 'unrecognized_keys') {
    const known = knownKeysAt(issue.path);
    return issue.keys.map((key) => issueAt(loaded, [...issue.path, key], unknownKeyMessage(key, known)));
  }
  if (issue.code === 'invalid_type' && issue.input === undefined) {
    return [issueAt(loaded, issue.path, `is required (${issue.message})`)];
  }
  return [issueAt(loaded, issue.path, withFound(issue.message, issue.input))];
}

function withFound(message: string, input: unknown): string {
  if (/, got /.test(message)) return message;
  return `${message}, got ${describeValue(input)}`;
}

function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `a list of ${v.length}`;
  if (typeof v === 'object') return 'a map';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 37)}...` : v);
  return String(v);
}

function unknownKeyMessage(key: string, known: readonly string[]): string {
  const near = closest(key, known);
  const suggestion = near ? ` (did you mean "${near}"?)` : known.length ? ` (known keys: ${known.join(', ')})` : '';
  return `unknown key "${key}"${suggestion}; unknown keys are refused because the server would ignore them and still bill`;
}

/** The keys the schema allows at a path, for did-you-mean suggestions. */
function knownKeysAt(p: readonly PropertyKey[]): string[] {
  const top = Object.keys(SpecSchema.shape);
  if (p.length === 0) return top;
  const [head, second, third] = p;
  if (head === 'budget') return ['max_usd'];
  if (head === 'elements') return ['id', 'description'];
  if (head === 'defaults') return Object.keys(SpecSchema.shape.defaults.unwrap().shape);
  if (head === 'shots' && typeof second === 'number') {
    if (third === 'multi_prompt') return ['prompt', 'duration'];
    if (third === 'prompt' || third === 'negative_prompt') return ['template'];
    return Object.keys(SpecSchema.shape.shots.element.shape);
  }
  return [];
}

function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length]!;
}
