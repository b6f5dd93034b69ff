import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Handlebars from 'handlebars';
import { displayPath } from '../util/paths.js';
import { checkHelperCalls, elementHelper, registerBuiltinHelpers, TemplateError } from './template-helpers.js';

export { TemplateError } from './template-helpers.js';

/**
 * Handlebars for spec fields and template files: no HTML escaping (`&`, `<` and quotes pass through to the
 * prompt) and strict mode (an undefined variable is an error that names it). One isolated instance per spec,
 * never the global one; each distinct source is compiled once and reused (docs/ARCHITECTURE.md "Library facts").
 */

interface TemplateData {
  /** The shot's element names, in order; the `element` helper appends names it does not find. */
  elements: string[];
  /** Names defined in the spec's `elements` map. */
  known: ReadonlySet<string>;
  /** Set by the engine for each render: the work it may still do. */
  budget?: Budget;
}

type Compiled = (context: unknown, options: { data: TemplateData }) => string;

export interface TemplateEngine {
  render(source: string, context: Record<string, unknown>, data: TemplateData): string;
  /** Read a `{ template: path }` file (cached), path already absolute. */
  readTemplate(abs: string): string;
  readonly partials: readonly string[];
  /** The spec-wide budget is spent: every further render fails at once, so expansion should stop. */
  readonly exhausted: boolean;
}

export function createTemplateEngine(templatesDir?: string): TemplateEngine {
  const hb = Handlebars.create();
  hb.registerHelper('element', elementHelper);
  // Handlebars' built-in {{log}} writes to the console: text meant for a prompt would land on stdout (and
  // break `plan --json`) while rendering nothing. In a prompt it can only be a mistake.
  hb.registerHelper('log', () => {
    throw new TemplateError('{{log}} prints to the terminal instead of the prompt; remove it');
  });
  registerBuiltinHelpers(hb);
  guardLoops(hb);
  guardPartials(hb);
  const partials = templatesDir ? registerPartials(hb, templatesDir) : [];
  const compiled = new Map<string, Compiled>();
  const files = new Map<string, string>();
  const spec: SpecBudget = { ticks: 0 };

  return {
    partials,
    get exhausted() {
      return spec.ticks > MAX_SPEC_TICKS;
    },
    render(source, context, data) {
      // Text with no mustache renders as itself: no compile (a new Function each) for the many plain fields.
      // A NUL is Handlebars' one parse error outside a mustache, so such text still goes through it.
      if (!source.includes('{{') && !source.includes('\0') && source.length <= MAX_OUTPUT_CHARS) return source;
      try {
        let fn = compiled.get(source);
        if (!fn) {
          fn = hb.compile(checkHelperCalls(hb, source), { noEscape: true, strict: true }) as unknown as Compiled;
          compiled.set(source, fn);
        }
        const text = fn(context, { data: { ...data, budget: newBudget(spec) } });
        if (text.length > MAX_OUTPUT_CHARS) throw new TemplateError(tooMuch(`${text.length.toLocaleString('en-US')} characters`));
        return text;
      } catch (err) {
        throw new TemplateError(templateMessage(err, context));
      }
    },
    readTemplate(abs) {
      let src = files.get(abs);
      if (src === undefined) {
        src = readTemplateFile(abs, true);
        files.set(abs, src);
      }
      return src;
    },
  };
}

/**
 * Bounded work on hostile input (docs/ARCHITECTURE.md "Bounded work"): a prompt template runs synchronously and
 * cannot be interrupted, so each render has a budget: block iterations and partial calls, characters produced, and
 * time. Four nested `{{#each}}` over 300 items is 8 billion iterations: it is stopped after the first hundred
 * thousand.
 */
const MAX_ITERATIONS = 100_000;
const MAX_OUTPUT_CHARS = 1_000_000;
const MAX_RENDER_MS = 2_000;
/**
 * And the whole spec has one: 100,000 shots that each stop at their own budget would still run for minutes. Ten
 * million passes is a hundred times what a 100,000-shot spec with a partial or two in every prompt needs.
 */
const MAX_SPEC_TICKS = 10_000_000;

interface SpecBudget {
  ticks: number;
}

interface Budget {
  iterations: number;
  chars: number;
  started: number;
  spec: SpecBudget;
}

function newBudget(spec: SpecBudget): Budget {
  return { iterations: 0, chars: 0, started: Date.now(), spec };
}

function tooMuch(what: string): string {
  return `the template does too much work (${what}; a prompt is at most 2,500 characters): check its {{#each}} loops and partials`;
}

function tick(budget: Budget | undefined, produced: string): void {
  if (!budget) return;
  budget.iterations++;
  budget.spec.ticks++;
  budget.chars += produced.length;
  if (budget.spec.ticks > MAX_SPEC_TICKS)
    throw new TemplateError(tooMuch(`the spec's templates together ran more than ${MAX_SPEC_TICKS.toLocaleString('en-US')} loop iterations and partial calls`));
  if (budget.iterations > MAX_ITERATIONS)
    throw new TemplateError(tooMuch(`more than ${MAX_ITERATIONS.toLocaleString('en-US')} loop iterations and partial calls`));
  if (budget.chars > MAX_OUTPUT_CHARS) throw new TemplateError(tooMuch(`more than ${MAX_OUTPUT_CHARS.toLocaleString('en-US')} characters`));
  if ((budget.iterations & 1023) === 0 && Date.now() - budget.started > MAX_RENDER_MS) throw new TemplateError(tooMuch(`more than ${MAX_RENDER_MS / 1000} s`));
}

/** Block helpers that loop (`each`, and `with` for its nesting) count every pass against the render's budget. */
function guardLoops(hb: typeof Handlebars): void {
  for (const name of ['each', 'with'] as const) {
    const builtin = hb.helpers[name] as Handlebars.HelperDelegate;
    hb.registerHelper(name, function (this: unknown, ...args: unknown[]) {
      const options = args.pop() as Handlebars.HelperOptions;
      const budget = (options.data as { budget?: Budget } | undefined)?.budget;
      const fn = Object.assign((context: unknown, o?: Handlebars.RuntimeOptions) => {
        const out = options.fn(context, o);
        tick(budget, out);
        return out;
      }, options.fn);
      return builtin.call(this, ...args, { ...options, fn });
    });
  }
}

/**
 * Partial calls count against the same budget: a partial that calls the next one twice, 40 deep, is 2^40 calls
 * with no loop at all (inline partials need no templates folder), and without a tick it never reached a check.
 * Handlebars looks partials up through `env.VM` so that it can be overridden per instance; only this one is.
 */
function guardPartials(hb: typeof Handlebars): void {
  const vm = (hb as unknown as { VM: { invokePartial: (...args: unknown[]) => unknown } }).VM;
  const invoke = vm.invokePartial;
  (hb as unknown as { VM: unknown }).VM = {
    ...vm,
    invokePartial(this: unknown, partial: unknown, context: unknown, options: { data?: { budget?: Budget } }) {
      tick(options.data?.budget, '');
      return invoke.call(this, partial, context, options);
    },
  };
}

function registerPartials(hb: typeof Handlebars, dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((f) => f.endsWith('.hbs'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const shown = displayPath(dir);
    throw new TemplateError(
      code === 'ENOENT'
        ? `folder not found: ${shown} (templates: names a folder of *.hbs partials, relative to the spec)`
        : code === 'ENOTDIR'
          ? `${shown} is a file, not a folder of *.hbs partials`
          : `cannot read folder ${shown}: ${code ?? String(err)}`,
    );
  }
  for (const f of names) hb.registerPartial(f.slice(0, -4), readTemplateFile(path.join(dir, f)));
  return names.map((f) => f.slice(0, -4)).sort();
}

/**
 * `named`: the path was written in the spec (`{ template: path }`), so a folder there is named as such. A file's one
 * final newline is not part of it (as in Jinja): editors add it, and a partial used mid-prompt would carry it along.
 */
function readTemplateFile(abs: string, named = false): string {
  try {
    return readFileSync(abs, 'utf8').replace(/\r?\n$/, '');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const shown = displayPath(abs);
    throw new TemplateError(
      code === 'ENOENT'
        ? `template file not found: ${shown}`
        : code === 'EISDIR' && named
          ? `${shown} is a folder, not a template file`
          : `cannot read template ${shown}: ${code ?? String(err)}`,
    );
  }
}

/** Handlebars' strict-mode text is `"x" not defined in [object Object] - 1:19`; say it for people. */
function templateMessage(err: unknown, context: Record<string, unknown>): string {
  if (err instanceof TemplateError) return err.message;
  const text = err instanceof Error ? err.message : String(err);
  const missing = /^"([^"]+)" not defined in .* - (\d+):(\d+)$/.exec(text);
  if (missing) {
    const available = Object.keys(context)
      .filter((k) => k !== 'shot')
      .sort();
    return `template variable "${missing[1]}" is not defined (template line ${missing[2]}, column ${Number(missing[3]) + 1}; defined: ${available.join(', ') || 'none'}, shot.*)`;
  }
  // Parse errors are `Parse error on line N:\n<excerpt>\n---^\nExpecting ...`: keep the line, the text before
  // the caret and the expectation, on one line.
  const parse = /^Parse error on line (\d+):\n(.*)\n(-*)\^\n(.*)$/s.exec(text);
  if (parse) {
    const before = parse[2]!.slice(0, parse[3]!.length);
    return `Handlebars syntax error (template line ${parse[1]}${before ? `, after "${before}"` : ', at the start'}): ${parse[4]}`;
  }
  if (err instanceof RangeError && /call stack/i.test(text)) {
    return 'templates nest too deep (a partial that includes itself, directly or through others?)';
  }
  const partial = /^The partial (.+) could not be found$/.exec(text);
  if (partial) return `partial "${partial[1]}" not found (partials are the *.hbs files in the spec's templates folder)`;
  return `template error: ${text.split('\n')[0]}`;
}
