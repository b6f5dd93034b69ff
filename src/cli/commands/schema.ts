import { specJsonSchema } from '../../spec/schema.js';
import { defineCommand } from '../command.js';
import { EXIT } from '../exit-codes.js';

export const schemaCommand = defineCommand({
  usage: 'render schema',
  description: `
Save it and point your spec at it, e.g. the first line of a spec:
  # yaml-language-server: $schema=../schema/render-spec.schema.json
The cross-field rules (durations that add up, images on disk) are checked by \`render validate\`.`,
  options: {},
  positionals: [0, 0],
  async run({ io }) {
    io.stdout.write(`${JSON.stringify(specJsonSchema(), null, 2)}\n`);
    return EXIT.ok;
  },
});
