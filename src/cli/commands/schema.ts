import { RenderError } from '../../errors.js';
import { JSON_SCHEMAS, type JsonSchemaName } from '../../report/json-schemas.js';
import { defineCommand } from '../command.js';
import { EXIT } from '../exit-codes.js';

const NAMES = Object.keys(JSON_SCHEMAS) as JsonSchemaName[];

export const schemaCommand = defineCommand({
  usage: `render schema [${NAMES.join('|')}]`,
  description: `
Prints a JSON Schema (2020-12); each is also committed in the repository's schema/ folder:
${NAMES.map((n) => `  ${n.padEnd(12)} ${JSON_SCHEMAS[n].file.padEnd(26)} ${JSON_SCHEMAS[n].what}`).join('\n')}
Without a name, the spec's. Save it and point your spec at it, e.g. the first line of a spec:
  # yaml-language-server: $schema=../schema/render-spec.schema.json
The cross-field rules (durations that add up, images on disk) are checked by \`render validate\`.`,
  options: {},
  positionals: [0, 1],
  async run({ io, positionals }) {
    const name = (positionals[0] ?? 'spec') as JsonSchemaName;
    const entry = JSON_SCHEMAS[name];
    if (!NAMES.includes(name) || !entry) throw new RenderError('USAGE', `schema: no schema "${name}"`, { hint: `schemas: ${NAMES.join(', ')}` });
    io.stdout.write(`${JSON.stringify(entry.schema(), null, 2)}\n`);
    return EXIT.ok;
  },
});
