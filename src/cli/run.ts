import { RenderError } from '../errors.js';
import { renderError } from '../report/errors.js';
import { formatCommandHelp, parseCommandArgs, type CliIO, type Command } from './command.js';
import { adoptCommand } from './commands/adopt.js';
import { applyCommand } from './commands/apply.js';
import { forgetCommand } from './commands/forget.js';
import { takesCommand } from './commands/takes.js';
import { mockCommand } from './commands/mock.js';
import { planCommand } from './commands/plan.js';
import { statusCommand } from './commands/status.js';
import { schemaCommand } from './commands/schema.js';
import { validateCommand } from './commands/validate.js';
import { EXIT, exitCodeFor } from './exit-codes.js';
import { packageVersion } from '../util/version.js';

export const COMMANDS: readonly Command[] = [validateCommand, planCommand, applyCommand, statusCommand, takesCommand, adoptCommand, forgetCommand, mockCommand, schemaCommand];

/** Parse argv, run one command, render any error in one place; returns the exit code. */
export async function runCli(argv: readonly string[], io: CliIO): Promise<number> {
  const [name, ...rest] = argv;
  try {
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
      const topic = name === 'help' ? rest[0] : undefined;
      const command = topic ? findCommand(topic) : undefined;
      io.stdout.write(command ? formatCommandHelp(command) : mainHelp());
      return EXIT.ok;
    }
    if (name === '--version' || name === '-v') {
      io.stdout.write(`render ${packageVersion()}\n`);
      return EXIT.ok;
    }
    const command = findCommand(name);
    const { values, positionals } = parseCommandArgs(command, rest);
    if (values.help) {
      io.stdout.write(formatCommandHelp(command));
      return EXIT.ok;
    }
    return await command.run({ io, values, positionals });
  } catch (err) {
    const secrets = [io.env.WAVESPEED_API_KEY ?? ''];
    io.stderr.write(`${renderError(err, { debug: Boolean(io.env.RENDER_DEBUG), secrets })}\n`);
    return exitCodeFor(err);
  }
}

function findCommand(name: string): Command {
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    throw new RenderError('USAGE', `unknown command "${name}"`, {
      hint: `commands: ${COMMANDS.map((c) => c.name).join(', ')}; see \`render --help\``,
    });
  }
  return command;
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
    'Run `render <command> --help` for a command\'s options. `render --version` prints the version.',
    '',
    'Environment:',
    '  WAVESPEED_API_KEY   your WaveSpeedAI key (never printed, never written to a file)',
    '  WAVESPEED_BASE_URL  another WaveSpeed-compatible server (default https://api.wavespeed.ai)',
    '',
    'Exit codes: 0 ok, 1 a run failed, 2 invalid spec or usage, 3 over budget, 4 changes pending (plan --detailed-exitcode)',
    '',
  ].join('\n');
}
