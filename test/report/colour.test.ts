import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run.js';
import { makeProject } from '../apply/helpers.js';

/**
 * Colour and widths (docs/SPEC.md "Colour"): colour on a terminal only, off under NO_COLOR, TERM=dumb or
 * --no-color; tables cut long text to a terminal's width and nothing when written to a file or a pipe.
 */

const ESC = String.fromCharCode(27);
const LONG = `the sneaker on a pedestal, ${'a slow orbit through soft morning light, '.repeat(4)}ending on the logo`;

async function plan(args: string[], o: { tty: boolean; env?: Record<string, string>; columns?: number }): Promise<{ code: number; stdout: string }> {
  const p = makeProject({ shots: 2 });
  p.shots[0]!.prompt = LONG;
  p.writeSpec();
  let stdout = '';
  const code = await runCli(['plan', p.spec, '--mock', ...args], {
    stdout: { write: (t: string) => (stdout += t), isTTY: o.tty, columns: o.columns ?? 100 },
    stderr: { write: () => true, isTTY: o.tty },
    env: o.env ?? {},
  });
  return { code, stdout };
}

describe('colour', () => {
  it('colours plan actions and money on a terminal', async () => {
    const { code, stdout } = await plan([], { tty: true });
    expect(code).toBe(0);
    expect(stdout).toContain(`${ESC}[32mcreate${ESC}[39m`);
    expect(stdout).toContain(`${ESC}[35m$1.26${ESC}[39m`);
  });

  it.each([
    ['NO_COLOR is set', [], { NO_COLOR: '1' }],
    ['TERM is dumb', [], { TERM: 'dumb' }],
    ['--no-color is given', ['--no-color'], {}],
  ] as const)('is off on a terminal when %s', async (_, args, env) => {
    const { code, stdout } = await plan([...args], { tty: true, env });
    expect(code).toBe(0);
    expect(stdout).toMatch(/^ {2}\+ {2}shot-01 {2}create /m);
    expect(stdout).not.toContain(ESC);
  });

  it('is off when the output is not a terminal', async () => {
    const { stdout } = await plan([], { tty: false });
    expect(stdout).toMatch(/^ {2}\+ {2}shot-01 {2}create /m);
    expect(stdout).not.toContain(ESC);
  });
});

describe('table widths', () => {
  it('a terminal cuts a long prompt to its width', async () => {
    const { stdout } = await plan(['--no-color'], { tty: true, columns: 100 });
    const row = stdout.split('\n').find((l) => l.includes('shot-01'))!;
    expect(row.endsWith('…')).toBe(true);
    expect([...row].length).toBeLessThanOrEqual(100);
  });

  it('a file or a pipe gets every prompt whole', async () => {
    const { stdout } = await plan([], { tty: false, columns: 100 });
    expect(stdout.split('\n').find((l) => l.includes('shot-01'))).toMatch(new RegExp(`${LONG}$`));
    expect(stdout).not.toContain('…');
  });
});
