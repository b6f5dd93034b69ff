import { createInterface } from 'node:readline/promises';
import { RenderError } from '../errors.js';
import { usd } from '../money.js';
import type { CliIO } from './command.js';

/**
 * Ask before spending: `--yes` skips the question; without a terminal to ask on, refuse rather than spend.
 */
export async function confirmSpend(io: CliIO, yes: boolean, costCents: number, shots: number): Promise<boolean> {
  if (yes) return true;
  const stdin = io.stdin;
  if (!stdin?.isTTY || !io.stderr.isTTY) {
    throw new RenderError('USAGE', 'refusing to apply without confirmation: there is no terminal to ask on', {
      hint: 'review the plan above, then run again with --yes',
    });
  }
  const rl = createInterface({ input: stdin, output: io.stderr as NodeJS.WritableStream });
  // Ctrl+D, or the end of the input, closes the prompt: no answer is no (docs/SPEC.md "Commands and exit codes").
  // Depending on how it closed, the question rejects or never settles, so the close itself is awaited too.
  const closed = new Promise<null>((resolve) => rl.once('close', () => resolve(null)));
  try {
    const question = rl.question(`Apply this plan: ${shots} shots, ${usd(costCents)}? Type "yes" to go on: `).catch(() => null);
    const answer = await Promise.race([question, closed]);
    if (answer === null) io.stderr.write('\n'); // the cursor is still on the prompt's line
    return answer?.trim().toLowerCase() === 'yes';
  } finally {
    rl.close();
  }
}
