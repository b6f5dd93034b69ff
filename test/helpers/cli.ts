import path from 'node:path';
import { runCli } from '../../src/cli/run.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run `render ARGV` in-process, as the binary would, capturing both streams. No real env leaks in. */
export async function render(argv: readonly string[], env: Record<string, string | undefined> = {}): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
    stdout: { write: (t: string) => (stdout += t), isTTY: false, columns: 200 },
    stderr: { write: (t: string) => (stderr += t), isTTY: false },
    env,
  });
  return { code, stdout, stderr };
}

/** The located issue lines of a rendered error (`  file:line:col path: message`), without the indent. */
export function issueLines(stderr: string): string[] {
  return stderr
    .split('\n')
    .filter((l) => l.startsWith('  '))
    .map((l) => l.slice(2));
}

/** Remove a folder's absolute path from output, so it reads as if render ran in that folder. */
export function stripDir(text: string, dir: string): string {
  return text.split(`${dir}${path.sep}`).join('').split(dir).join('.');
}
