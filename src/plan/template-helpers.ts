import type Handlebars from 'handlebars';

/**
 * The helpers of spec templates (docs/SPEC.md "Rules", templated fields), and the check that names an unknown one.
 */

/** A failure inside a template, before it is given a place in the spec. */
export class TemplateError extends Error {}

/** What the `element` helper reads from a render's data. */
interface ElementData {
  /** The shot's element names, in order; the `element` helper appends names it does not find. */
  elements: string[];
  /** Names defined in the spec's `elements` map. */
  known: ReadonlySet<string>;
}

/**
 * Helpers a prompt author expects (docs/SPEC.md "Rules", templated fields): comparisons for `{{#if}}`, case, lists
 * and a fallback. `eq`/`ne` compare scalars by their text, so a matrix value 5 equals "5".
 */
const BUILTIN_HELPERS = ['eq', 'ne', 'and', 'or', 'not', 'upper', 'lower', 'join', 'default', 'element'] as const;

export function registerBuiltinHelpers(hb: typeof Handlebars): void {
  const args = (all: unknown[]) => all.slice(0, -1); // the last argument is Handlebars' options
  const same = (a: unknown, b: unknown) => a === b || (isScalar(a) && isScalar(b) && String(a) === String(b));
  const text = (v: unknown) => (v === null || v === undefined ? '' : String(v));
  hb.registerHelper('eq', (...all: unknown[]) => same(all[0], all[1]));
  hb.registerHelper('ne', (...all: unknown[]) => !same(all[0], all[1]));
  hb.registerHelper('and', (...all: unknown[]) => args(all).every(truthy));
  hb.registerHelper('or', (...all: unknown[]) => args(all).some(truthy));
  hb.registerHelper('not', (...all: unknown[]) => !truthy(all[0]));
  hb.registerHelper('upper', (...all: unknown[]) => text(all[0]).toUpperCase());
  hb.registerHelper('lower', (...all: unknown[]) => text(all[0]).toLowerCase());
  hb.registerHelper('join', (...all: unknown[]) => {
    const [list, sep] = args(all);
    if (!Array.isArray(list)) throw new TemplateError('{{join}} takes a list and an optional separator, e.g. {{join vars.colors ", "}}');
    return list.map(text).join(typeof sep === 'string' ? sep : ', ');
  });
  hb.registerHelper('default', (...all: unknown[]) => {
    const [value, fallback] = args(all);
    return value === null || value === undefined || value === '' ? fallback : value;
  });
}

function isScalar(v: unknown): boolean {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
}

/** Handlebars' own truth, except that an empty list is false (as in `{{#if}}`). */
function truthy(v: unknown): boolean {
  return Array.isArray(v) ? v.length > 0 : Boolean(v);
}

interface HbNode {
  type?: string;
  params?: unknown[];
  hash?: unknown;
  path?: { type?: string; parts?: string[]; data?: boolean; original?: string; loc?: { start: { line: number; column: number } } };
}

/**
 * A name called with arguments (`{{#if (eq a b)}}`, `{{shout name}}`) is a helper: one that does not exist is said
 * to be an unknown helper, listing the helpers, rather than Handlebars' "variable not defined". Returns the parsed
 * template, which `hb.compile` takes in place of the source (it then only strips whitespace, as from the text).
 */
export function checkHelperCalls(hb: typeof Handlebars, source: string): hbs.AST.Program {
  const walk = (node: unknown): void => {
    if (node === null || typeof node !== 'object') return;
    if (Array.isArray(node)) {
      for (const child of node) walk(child);
      return;
    }
    const n = node as HbNode;
    const called = (n.params?.length ?? 0) > 0 || n.hash !== undefined;
    const p = n.path;
    if (called && (n.type === 'MustacheStatement' || n.type === 'SubExpression' || n.type === 'BlockStatement') && p?.type === 'PathExpression') {
      const name = p.original ?? '';
      if (!p.data && p.parts?.length === 1 && !(name in hb.helpers)) {
        const where = p.loc ? ` (template line ${p.loc.start.line}, column ${p.loc.start.column + 1})` : '';
        throw new TemplateError(`unknown helper "${name}"${where}; the helpers are ${BUILTIN_HELPERS.join(', ')}, if, unless, each, with, lookup`);
      }
    }
    for (const [key, child] of Object.entries(n)) if (key !== 'loc' && key !== 'path') walk(child);
  };
  const ast = hb.parseWithoutProcessing(source);
  walk(ast);
  return ast;
}

export function elementHelper(this: unknown, ...args: unknown[]): string {
  const options = args.pop() as Handlebars.HelperOptions;
  const name = args[0];
  const data = options.data as ElementData;
  if (args.length !== 1 || typeof name !== 'string') {
    throw new TemplateError(`{{element}} takes one element name, e.g. {{element 'mascot'}}`);
  }
  if (!data.known.has(name)) {
    const known = [...data.known];
    throw new TemplateError(`{{element '${name}'}}: no element "${name}" is defined in elements${known.length ? ` (defined: ${known.join(', ')})` : ''}`);
  }
  let index = data.elements.indexOf(name);
  if (index < 0) {
    data.elements.push(name);
    index = data.elements.length - 1;
  }
  return `<<<element_${index + 1}>>>`;
}
