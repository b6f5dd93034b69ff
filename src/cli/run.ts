import { RenderError } from '../errors.js';
import { STATE_URL_ENV, stateUrlSecrets } from '../lock/state-url.js';
import { paintFor } from '../report/colour.js';
import { renderError } from '../report/errors.js';
import { packageVersion } from '../util/version.js';
import { type CliIO, type Command, type CommandDef, type CommandInfo, formatCommandHelp, parseCommandArgs } from './command.js';
import { EXIT, exitCodeFor, formatExitCodes } from './exit-codes.js';

/** A command as `render --help` lists it; `load` brings in its module (and what that imports) only when it runs. */
export interface CommandEntry extends CommandInfo {
  load(): Promise<CommandDef>;
}

/**
 * Metadata only, so `render --version`, `--help`, `plan` or `validate` never load the HTTP client (undici), the
 * mock server or the progress bars: a static import of a command module here would load them for every command
 * (test/cli/lazy-load.test.ts).
 */
export const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'validate',
    summary: 'Check a spec: parse, check every field and image, expand; no network',
    load: async () => (await import('./commands/validate.js')).validateCommand,
  },
  {
    name: 'plan',
    summary: 'Show what an apply would render and spend, shot by shot, to the cent; no network unless --quote',
    load: async () => (await import('./commands/plan.js')).planCommand,
  },
  {
    name: 'apply',
    summary: 'Render what the plan says: upload, submit, poll, download, record; a rerun resumes',
    load: async () => (await import('./commands/apply.js')).applyCommand,
  },
  {
    name: 'status',
    summary: 'Show what the lockfile and the output folder say, per shot; no network',
    load: async () => (await import('./commands/status.js')).statusCommand,
  },
  {
    name: 'takes',
    summary: 'List every take of every shot, newest first, and which is current; no network',
    load: async () => (await import('./commands/takes.js')).takesCommand,
  },
  {
    name: 'report',
    summary: "Write one HTML page to review the campaign: every shot's video, takes, status and cost; no network",
    load: async () => (await import('./commands/report.js')).reportCommand,
  },
  {
    name: 'cut',
    summary: 'Join the current takes in spec order into one MP4, to watch the campaign start to finish (ffmpeg)',
    load: async () => (await import('./commands/cut.js')).cutCommand,
  },
  {
    name: 'adopt',
    summary: 'Resolve a submit whose outcome is unknown: it became this prediction',
    load: async () => (await import('./commands/adopt.js')).adoptCommand,
  },
  {
    name: 'forget',
    summary: 'Resolve a submit whose outcome is unknown: it never became a prediction',
    load: async () => (await import('./commands/forget.js')).forgetCommand,
  },
  {
    name: 'doctor',
    summary: 'Check the server for $0 before a real apply: key, balance, live prices, list inputs, round trip',
    load: async () => (await import('./commands/doctor.js')).doctorCommand,
  },
  {
    name: 'ledger',
    summary: "Match the account's bill (charges, refunds) to the lockfile, prediction by prediction; read-only",
    load: async () => (await import('./commands/ledger.js')).ledgerCommand,
  },
  {
    name: 'state',
    summary: 'Move the campaign state between the lockfile and a PostgreSQL database (push, pull)',
    load: async () => (await import('./commands/state.js')).stateCommand,
  },
  {
    name: 'mock',
    summary: 'Run the local WaveSpeed-compatible server (for trying render, tests and demos)',
    load: async () => (await import('./commands/mock.js')).mockCommand,
  },
  {
    name: 'schema',
    summary: "Print a JSON Schema: the spec format's (editor completion), or a --json output's",
    load: async () => (await import('./commands/schema.js')).schemaCommand,
  },
];

/** Parse argv, run one command, render any error in one place; returns the exit code. */
export async function runCli(args: readonly string[], given: CliIO): Promise<number> {
  const { argv, io } = globalFlags(args, given);
  const [name, ...rest] = argv;
  try {
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
      const topic = name === 'help' ? rest[0] : undefined;
      io.stdout.write(topic ? formatCommandHelp(await loadCommand(topic)) : mainHelp());
      return EXIT.ok;
    }
    if (name === '--version' || name === '-v') {
      io.stdout.write(`render ${packageVersion()}\n`);
      return EXIT.ok;
    }
    const command = await loadCommand(name);
    const { help, options, positionals } = parseCommandArgs(command, rest);
    if (help) {
      io.stdout.write(formatCommandHelp(command));
      return EXIT.ok;
    }
    return await command.run({ io, options, positionals });
  } catch (err) {
    const secrets = [io.env.WAVESPEED_API_KEY ?? '', ...stateUrlSecrets(io.env[STATE_URL_ENV] ?? '')];
    io.stderr.write(`${renderError(err, { debug: Boolean(io.env.RENDER_DEBUG), secrets, paint: paintFor(io.stderr, io.env) })}\n`);
    return exitCodeFor(err);
  }
}

/**
 * Flags every command takes, anywhere before a `--`: `--no-color` becomes NO_COLOR in the environment the command
 * sees, so every printer decides colour in one way (report/colour.ts).
 */
function globalFlags(args: readonly string[], io: CliIO): { argv: string[]; io: CliIO } {
  const end = args.indexOf('--');
  const head = end < 0 ? [...args] : args.slice(0, end);
  const noColor = head.some((a) => a === '--no-color' || a === '--no-colour');
  if (!noColor) return { argv: [...args], io };
  const argv = [...head.filter((a) => a !== '--no-color' && a !== '--no-colour'), ...(end < 0 ? [] : args.slice(end))];
  return { argv, io: { ...io, env: { ...io.env, NO_COLOR: '1' } } };
}

/** The named command, its module loaded; an unknown name is a usage error listing the commands. */
async function loadCommand(name: string): Promise<Command> {
  const entry = COMMANDS.find((c) => c.name === name);
  if (!entry) {
    throw new RenderError('USAGE', `unknown command "${name}"`, {
      hint: `commands: ${COMMANDS.map((c) => c.name).join(', ')}; see \`render --help\``,
    });
  }
  return { name: entry.name, summary: entry.summary, ...(await entry.load()) };
}

function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'render: a YAML campaign spec rendered as AI video on Kling V3.0 4K (WaveSpeedAI),',
    'priced to the cent before anything moves, resumable, never paying twice.',
    '',
    'Usage: render <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    "Run `render <command> --help` for a command's options. `render --version` prints the version.",
    '',
    'Global flags:',
    '  --no-color          no colour (also off under NO_COLOR, and when the output is not a terminal)',
    '',
    'Environment:',
    '  WAVESPEED_API_KEY   your WaveSpeedAI key (never printed, never written to a file)',
    '  WAVESPEED_BASE_URL  another WaveSpeed-compatible server (default https://api.wavespeed.ai)',
    "  RENDER_STATE_URL    postgres://... to keep campaigns' state in PostgreSQL (shared by a team); never printed with its password",
    "  RENDER_FFMPEG       the ffmpeg for report, cut and the mock's animatics, or none (default: PATH, then @ffmpeg-installer/ffmpeg)",
    '  NO_COLOR            any value turns colour off (as --no-color does)',
    "  XDG_CACHE_HOME      each command's compiled code is cached in its render/ (default ~/.cache/render); NODE_DISABLE_COMPILE_CACHE=1 keeps none",
    '',
    'Exit codes:',
    ...formatExitCodes(),
    '  130 a second Ctrl-C (the first stops new submits and lets in-flight shots finish)',
    '  143, 129 an apply ended by SIGTERM or SIGHUP, after writing the lockfile',
    '',
  ].join('\n');
}
