import { parseArgs } from 'node:util';
import { RenderError } from '../errors.js';
import type { OutputStream } from '../report/output.js';

/** Everything a command touches outside itself, injected so commands run in-process in tests. */
export interface CliIO {
  stdout: OutputStream;
  stderr: OutputStream;
  stdin?: NodeJS.ReadableStream & { isTTY?: boolean };
  env: Record<string, string | undefined>;
  /** Fires on Ctrl-C; the CLI entry wires it to SIGINT. */
  onInterrupt?: (handler: () => void) => () => void;
}

interface OptionDef {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  readonly multiple?: boolean;
  /** Shown in --help, e.g. `N`, `USD`, `GLOB`. */
  readonly value?: string;
  readonly description: string;
}

/** A command's options: flag name (without the dashes) → definition. Write one `as const` so its types stay literal. */
export type OptionTable = Readonly<Record<string, OptionDef>>;

/** What node:util parseArgs gives for one option: a string or a boolean, an array of them when `multiple`. */
type OptionValue<D extends OptionDef> = D extends { multiple: true }
  ? D['type'] extends 'string'
    ? string[]
    : boolean[]
  : D['type'] extends 'string'
    ? string
    : boolean;

/**
 * The parsed options of a command, typed from its table: with `{ 'max-cost': { type: 'string', ... } }`,
 * `options['max-cost']` is `string | undefined`, and a misspelled option name does not compile.
 */
type OptionsOf<T extends OptionTable> = { -readonly [K in keyof T]?: OptionValue<T[K]> };

export interface CommandContext<T extends OptionTable = OptionTable> {
  io: CliIO;
  options: OptionsOf<T>;
  positionals: string[];
}

/** What `render --help` shows of a command, known without loading it. */
export interface CommandInfo {
  name: string;
  /** One line for `render --help`. */
  summary: string;
}

/** The part of a command that lives in its own module, loaded only when the command runs or prints its help. */
export interface CommandDef<T extends OptionTable = OptionTable> {
  /** `render plan SPEC [--json] ...` */
  usage: string;
  /** Paragraphs after the usage line in `--help`. */
  description: string;
  options: T;
  /** How many positionals it takes: [min, max]. */
  positionals: readonly [number, number];
  run(ctx: CommandContext<T>): Promise<number>;
}

export type Command<T extends OptionTable = OptionTable> = CommandInfo & CommandDef<T>;

/** Types a command module's definition from its option table (the identity at run time). */
export function defineCommand<const T extends OptionTable>(def: CommandDef<T>): CommandDef<T> {
  return def;
}

const HELP_OPTION: OptionDef = { type: 'boolean', short: 'h', description: 'show this help' };

export interface ParsedArgs<T extends OptionTable> {
  /** `--help` / `-h` was given: print the help, check nothing else. */
  help: boolean;
  options: OptionsOf<T>;
  positionals: string[];
}

/** argv after the command name → typed options and positionals; a RenderError('USAGE') on anything unknown. */
export function parseCommandArgs<T extends OptionTable>(command: Command<T>, args: readonly string[]): ParsedArgs<T> {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    const options = Object.fromEntries(
      Object.entries({ ...command.options, help: HELP_OPTION }).map(([k, o]) => [
        k,
        { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}) },
      ]),
    );
    parsed = parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
  } catch (err) {
    const raw = (err as Error).message;
    // node:util parseArgs explains a value that starts with a dash in three lines; say it in one.
    const ambiguous = /^Option '(--[\w-]+)' argument is ambiguous/.exec(raw);
    const message = ambiguous
      ? `${ambiguous[1]} needs a value; for one that starts with "-", write ${ambiguous[1]}=VALUE`
      : raw.replace(/\. To specify a positional argument.*$/s, '');
    throw new RenderError('USAGE', `${command.name}: ${message}`, { hint: `see \`render ${command.name} --help\`` });
  }
  const { help, ...options } = parsed.values;
  if (!help) {
    const [min, max] = command.positionals;
    const n = parsed.positionals.length;
    if (n < min || n > max) {
      const what = n < min ? 'missing argument' : `unexpected argument "${parsed.positionals[max]}"`;
      throw new RenderError('USAGE', `${command.name}: ${what}`, { hint: `usage: ${command.usage}` });
    }
  }
  // parseArgs was given exactly this table, so its values have the types OptionsOf derives from it.
  return { help: help === true, options: options as OptionsOf<T>, positionals: parsed.positionals };
}

export function formatCommandHelp(command: Command): string {
  const lines = [`Usage: ${command.usage}`, '', command.summary, ''];
  if (command.description) lines.push(command.description.trim(), '');
  lines.push('Options:');
  const entries = Object.entries({ ...command.options, help: HELP_OPTION });
  const labels = entries.map(([name, o]) => `${o.short ? `-${o.short}, ` : '    '}--${name}${o.value ? ` ${o.value}` : ''}`);
  const width = Math.max(...labels.map((l) => l.length));
  for (const [i, [, o]] of entries.entries()) lines.push(`  ${labels[i]!.padEnd(width)}  ${o.description}`);
  return `${lines.join('\n')}\n`;
}
