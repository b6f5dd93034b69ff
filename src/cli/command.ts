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

export interface OptionDef {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  /** Shown in --help, e.g. `N`, `USD`, `GLOB`. */
  value?: string;
  description: string;
}

export type OptionValues = Record<string, string | boolean | string[] | boolean[] | undefined>;

export interface CommandContext {
  io: CliIO;
  values: OptionValues;
  positionals: string[];
}

export interface Command {
  name: string;
  /** One line for `render --help`. */
  summary: string;
  /** `render plan SPEC [--json] ...` */
  usage: string;
  /** Paragraphs after the usage line in `--help`. */
  description: string;
  options: Record<string, OptionDef>;
  /** How many positionals it takes: [min, max]. */
  positionals: [number, number];
  run(ctx: CommandContext): Promise<number>;
}

export const HELP_OPTION: OptionDef = { type: 'boolean', short: 'h', description: 'show this help' };

export function parseCommandArgs(command: Command, args: string[]): { values: OptionValues; positionals: string[] } {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    const options = Object.fromEntries(
      Object.entries({ ...command.options, help: HELP_OPTION }).map(([k, o]) => [
        k,
        { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}) },
      ]),
    );
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    const raw = (err as Error).message;
    // node:util parseArgs explains a value that starts with a dash in three lines; say it in one.
    const ambiguous = /^Option '(--[\w-]+)' argument is ambiguous/.exec(raw);
    const message = ambiguous
      ? `${ambiguous[1]} needs a value; for one that starts with "-", write ${ambiguous[1]}=VALUE`
      : raw.replace(/\. To specify a positional argument.*$/s, '');
    throw new RenderError('USAGE', `${command.name}: ${message}`, { hint: `see \`render ${command.name} --help\`` });
  }
  const values = parsed.values as OptionValues;
  if (!values.help) {
    const [min, max] = command.positionals;
    const n = parsed.positionals.length;
    if (n < min || n > max) {
      const what = n < min ? 'missing argument' : `unexpected argument "${parsed.positionals[max]}"`;
      throw new RenderError('USAGE', `${command.name}: ${what}`, { hint: `usage: ${command.usage}` });
    }
  }
  return { values, positionals: parsed.positionals };
}

export function formatCommandHelp(command: Command): string {
  const lines = [`Usage: ${command.usage}`, '', command.summary, ''];
  if (command.description) lines.push(command.description.trim(), '');
  lines.push('Options:');
  const entries = Object.entries({ ...command.options, help: HELP_OPTION });
  const labels = entries.map(([name, o]) => `${o.short ? `-${o.short}, ` : '    '}--${name}${o.value ? ` ${o.value}` : ''}`);
  const width = Math.max(...labels.map((l) => l.length));
  entries.forEach(([, o], i) => lines.push(`  ${labels[i]!.padEnd(width)}  ${o.description}`));
  return `${lines.join('\n')}\n`;
}
