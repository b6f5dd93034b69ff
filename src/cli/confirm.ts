import { createInterface } from 'node:readline/promises';
import { describeEndpoint, MOCK_ENDPOINT } from '../endpoint.js';
import { RenderError } from '../errors.js';
import { usd } from '../money.js';
import type { Paint } from '../report/colour.js';
import { plural } from '../report/format.js';
import type { CliIO } from './command.js';

export interface SpendQuestion {
  costCents: number;
  shots: number;
  endpoint: string;
  paint: Paint;
}

/** The question, naming where the shots go and whether the money is real (docs/SPEC.md "On a terminal"). */
function spendQuestion(q: SpendQuestion): string {
  const where = describeEndpoint(q.endpoint);
  const money =
    q.endpoint === MOCK_ENDPOINT ? 'play money, nothing is charged' : q.paint.fail(`real money, charged to the WaveSpeedAI account of WAVESPEED_API_KEY`);
  return `Apply this plan on ${where}: ${plural(q.shots, 'shot')} for ${q.paint.money(usd(q.costCents))} (${money})? Type "yes" to go on: `;
}

/**
 * Ask before spending: `--yes` skips the question; without a terminal to ask on, refuse rather than spend.
 */
export async function confirmSpend(io: CliIO, yes: boolean, q: SpendQuestion): Promise<boolean> {
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
    const question = rl.question(spendQuestion(q)).catch(() => null);
    const answer = await Promise.race([question, closed]);
    if (answer === null) io.stderr.write('\n'); // the cursor is still on the prompt's line
    return answer?.trim().toLowerCase() === 'yes';
  } finally {
    rl.close();
  }
}
