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
  try {
    const answer = await rl.question(`Apply this plan: ${shots} shots, ${usd(costCents)}? Type "yes" to go on: `);
    return answer.trim().toLowerCase() === 'yes';
  } finally {
    rl.close();
  }
}
