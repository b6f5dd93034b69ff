import { forgetIntent } from '../../apply/resolve.js';
import { defineCommand } from '../command.js';
import { EXIT } from '../exit-codes.js';
import { endpointOf, intOption } from '../options.js';

export const forgetCommand = defineCommand({
  usage: 'render forget SPEC SHOT [--take N] [--mock]',
  description: `
Declares that a submit whose answer was lost never created a prediction (you checked the WaveSpeed
dashboard). Its cost stops counting as spent, and the shot is planned again with its cost. If it did exist
after all, it was paid for: \`render adopt\` it instead. No network.`,
  options: {
    take: { type: 'string', value: 'N', description: 'which take, when the shot has several unknown submits (default: the newest)' },
    mock: { type: 'boolean', description: 'a submit to the embedded mock server' },
  },
  positionals: [2, 2],
  async run({ io, options, positionals }) {
    const [spec, shot] = positionals as [string, string];
    const done = await forgetIntent({ spec, shot, endpoint: endpointOf(options.mock, io.env), take: intOption(options, 'take', 1, 1_000_000), env: io.env });
    io.stdout.write(`${done.message}\n`);
    return EXIT.ok;
  },
});
