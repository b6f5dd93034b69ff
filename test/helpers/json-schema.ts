/**
 * A small JSON Schema (2020-12) checker for the keywords `render schema` emits: type, const, enum, pattern,
 * minLength, minimum, maximum, exclusiveMinimum, exclusiveMaximum, properties, required, additionalProperties,
 * propertyNames, items, minItems, maxItems, anyOf, oneOf, $ref to #/$defs. Enough to check a spec against
 * the schema editors will use, without a validator dependency. Unknown keywords fail loudly.
 */

type Schema = Record<string, unknown> | boolean;

const KNOWN = new Set([
  '$schema',
  '$id',
  'title',
  'description',
  'default',
  '$defs',
  'type',
  'const',
  'enum',
  'pattern',
  'minLength',
  'maxLength',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'properties',
  'required',
  'additionalProperties',
  'propertyNames',
  'items',
  'minItems',
  'maxItems',
  'anyOf',
  'oneOf',
  '$ref',
  'format',
]);

/** Problems of `value` against `root`, as `path: what`; empty when it conforms. */
export function checkJsonSchema(root: Record<string, unknown>, value: unknown): string[] {
  const problems: string[] = [];
  walk(root, value, '$', problems, root);
  return problems;
}

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function walk(schema: Schema, v: unknown, at: string, out: string[], root: Record<string, unknown>): void {
  if (schema === true) return;
  if (schema === false) return void out.push(`${at}: not allowed`);
  for (const key of Object.keys(schema)) if (!KNOWN.has(key)) throw new Error(`json-schema helper: keyword ${key} not supported (at ${at})`);
  // biome-ignore lint/suspicious/noExplicitAny: a JSON Schema node; each keyword is checked by what it is used for
  const s = schema as Record<string, any>;
  if (s.$ref) {
    const name = String(s.$ref).replace(/^#\/\$defs\//, '');
    walk((root.$defs as Record<string, Schema>)[name]!, v, at, out, root);
  }
  if (s.type !== undefined) {
    const types = ([] as string[]).concat(s.type);
    const t = typeOf(v);
    if (!types.includes(t) && !(t === 'integer' && types.includes('number'))) return void out.push(`${at}: expected ${types.join('|')}, got ${t}`);
  }
  if ('const' in s && JSON.stringify(s.const) !== JSON.stringify(v)) out.push(`${at}: expected ${JSON.stringify(s.const)}`);
  if (s.enum && !s.enum.some((e: unknown) => JSON.stringify(e) === JSON.stringify(v))) out.push(`${at}: not one of the enum`);
  if (typeof v === 'string') {
    if (s.pattern && !new RegExp(s.pattern, 'u').test(v)) out.push(`${at}: does not match ${s.pattern}`);
    if (s.minLength !== undefined && v.length < s.minLength) out.push(`${at}: shorter than ${s.minLength}`);
    if (s.maxLength !== undefined && v.length > s.maxLength) out.push(`${at}: longer than ${s.maxLength}`);
  }
  if (typeof v === 'number') {
    if (s.minimum !== undefined && v < s.minimum) out.push(`${at}: below ${s.minimum}`);
    if (s.maximum !== undefined && v > s.maximum) out.push(`${at}: above ${s.maximum}`);
    if (s.exclusiveMinimum !== undefined && v <= s.exclusiveMinimum) out.push(`${at}: not above ${s.exclusiveMinimum}`);
    if (s.exclusiveMaximum !== undefined && v >= s.exclusiveMaximum) out.push(`${at}: not below ${s.exclusiveMaximum}`);
  }
  if (Array.isArray(v)) {
    if (s.minItems !== undefined && v.length < s.minItems) out.push(`${at}: fewer than ${s.minItems} items`);
    if (s.maxItems !== undefined && v.length > s.maxItems) out.push(`${at}: more than ${s.maxItems} items`);
    if (s.items !== undefined) for (const [i, item] of v.entries()) walk(s.items, item, `${at}[${i}]`, out, root);
  }
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    const obj = v as Record<string, unknown>;
    for (const r of s.required ?? []) if (!(r in obj)) out.push(`${at}: missing ${r}`);
    for (const [k, item] of Object.entries(obj)) {
      if (s.propertyNames) walk(s.propertyNames, k, `${at} key ${JSON.stringify(k)}`, out, root);
      if (s.properties && k in s.properties) walk(s.properties[k], item, `${at}.${k}`, out, root);
      else if (s.additionalProperties !== undefined) walk(s.additionalProperties, item, `${at}.${k}`, out, root);
    }
  }
  for (const [kw, need] of [
    ['anyOf', (n: number) => n >= 1],
    ['oneOf', (n: number) => n === 1],
  ] as const) {
    if (!s[kw]) continue;
    const passing = (s[kw] as Schema[]).filter((sub) => checkSubschema(sub, v, root)).length;
    if (!need(passing)) out.push(`${at}: ${kw} matched ${passing} alternatives`);
  }
}

function checkSubschema(schema: Schema, v: unknown, root: Record<string, unknown>): boolean {
  const out: string[] = [];
  walk(schema, v, '', out, root);
  return out.length === 0;
}
