import { describe, expect, it } from 'vitest';
import { type Command, parseCommandArgs } from '../../src/cli/command.js';
import { COMMANDS } from '../../src/cli/run.js';
import { RenderError } from '../../src/errors.js';

/** argv → typed options, on its own, before any handler runs (the drizzle-kit split). */

async function command(name: string): Promise<Command> {
  const entry = COMMANDS.find((c) => c.name === name)!;
  return { name: entry.name, summary: entry.summary, ...(await entry.load()) };
}

function usageError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(RenderError);
    expect((err as RenderError).code).toBe('USAGE');
    return (err as RenderError).message;
  }
  throw new Error('no error thrown');
}

describe('parseCommandArgs', () => {
  it('gives the options by their flag names, repeatable ones as arrays, and the positionals', async () => {
    const plan = await command('plan');
    expect(parseCommandArgs(plan, ['s.yaml', '--json', '--only', 'city-*', '--only=opener', '--max-cost', '12.50'])).toEqual({
      help: false,
      options: { json: true, only: ['city-*', 'opener'], 'max-cost': '12.50' },
      positionals: ['s.yaml'],
    });
    expect(parseCommandArgs(await command('apply'), ['p.json', '-y', '--concurrency=8'])).toEqual({
      help: false,
      options: { yes: true, concurrency: '8' },
      positionals: ['p.json'],
    });
  });

  it('--help skips the positional count', async () => {
    expect(parseCommandArgs(await command('plan'), ['--help'])).toEqual({ help: true, options: {}, positionals: [] });
  });

  it('refuses unknown flags, missing values and a wrong number of arguments, naming the command', async () => {
    const plan = await command('plan');
    expect(usageError(() => parseCommandArgs(plan, ['s.yaml', '--bogus']))).toBe("plan: Unknown option '--bogus'");
    expect(usageError(() => parseCommandArgs(plan, ['s.yaml', '--out']))).toBe("plan: Option '--out <value>' argument missing");
    expect(usageError(() => parseCommandArgs(plan, ['s.yaml', '--out', '-x']))).toBe(
      'plan: --out needs a value; for one that starts with "-", write --out=VALUE',
    );
    expect(usageError(() => parseCommandArgs(plan, []))).toBe('plan: missing argument');
    expect(usageError(() => parseCommandArgs(plan, ['a', 'b']))).toBe('plan: unexpected argument "b"');
  });

  it.each(COMMANDS.map((c) => [c.name]))('the %s module loads and its usage names it', async (name) => {
    expect((await command(name)).usage).toMatch(new RegExp(`^render ${name}\\b`));
  });
});
