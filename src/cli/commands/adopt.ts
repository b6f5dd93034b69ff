import { adoptPrediction } from '../../apply/resolve.js';
import { RenderError } from '../../errors.js';
import { createClient } from '../../provider/index.js';
import { defineCommand } from '../command.js';
import { EXIT } from '../exit-codes.js';
import { endpointOf, intOption } from '../options.js';

export const adoptCommand = defineCommand({
  usage: 'render adopt SPEC SHOT PREDICTION_ID [--take N]',
  description: `
A submit whose answer was lost (a timeout, a 5xx, a cut connection) may have created a paid prediction.
render settles it on its own only when the server's list shows a prediction that can be it and nothing
else; otherwise the shot stays "outcome unknown", counted as spent, and is never submitted again by render.
Find the prediction in the WaveSpeed dashboard, then adopt it: render checks it exists, is of the same
model, is claimed by no other take and, where the server shows inputs, was made from this submit's input.
The next \`render apply\` follows it and downloads its video. (If there is no such prediction: \`render forget\`.)`,
  options: {
    take: { type: 'string', value: 'N', description: 'which take, when the shot has several unknown submits (default: the newest)' },
  },
  positionals: [3, 3],
  async run({ io, options, positionals }) {
    const [spec, shot, predictionId] = positionals as [string, string, string];
    if (!io.env.WAVESPEED_API_KEY)
      throw new RenderError('AUTH', 'WAVESPEED_API_KEY is not set: adopt asks the server about the prediction', { hint: 'export WAVESPEED_API_KEY=...' });
    const client = createClient({ apiKey: io.env.WAVESPEED_API_KEY, baseUrl: io.env.WAVESPEED_BASE_URL || undefined });
    const done = await adoptPrediction({
      spec,
      shot,
      predictionId,
      endpoint: endpointOf(false, io.env),
      client,
      take: intOption(options, 'take', 1, 1_000_000),
      env: io.env,
    });
    io.stdout.write(`${client.redact(done.message)}\n`);
    return EXIT.ok;
  },
});
