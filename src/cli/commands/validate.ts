import path from 'node:path';
import { RenderError } from '../../errors.js';
import { MODELS } from '../../models.js';
import { usd, usdNumber } from '../../money.js';
import { checkImagesDecode } from '../../plan/decode.js';
import { validateSpec } from '../../plan/plan-spec.js';
import { plural } from '../../report/format.js';
import { errorToJson } from '../../report/json.js';
import { type CliIO, defineCommand } from '../command.js';
import { EXIT } from '../exit-codes.js';

export const validateCommand = defineCommand({
  usage: 'render validate SPEC [--json]',
  description: `
Reports every problem of the spec at once (schema, templates, rules, ids, images), each once, as
file:line:col field: message. Exit 0 when the spec is valid, 2 when it is not.
With --json, stdout is one JSON object either way (schema/validate.schema.json): the expanded shots, or
\`valid: false\` with every problem; the problems are also printed on stderr.`,
  options: {
    json: { type: 'boolean', description: 'print JSON on stdout: the expanded shots, or every problem' },
  },
  positionals: [1, 1],
  async run({ io, options, positionals }) {
    try {
      return await validate(io, positionals[0]!, Boolean(options.json));
    } catch (err) {
      if (options.json && err instanceof RenderError) {
        const out = { valid: false, spec: path.resolve(positionals[0]!), error: errorToJson(err, [io.env.WAVESPEED_API_KEY ?? '']) };
        io.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
      }
      throw err;
    }
  },
});

async function validate(io: CliIO, file: string, json: boolean): Promise<number> {
  const valid = validateSpec(file);
  const { decoded } = await checkImagesDecode(valid);
  if (!decoded) io.stderr.write('note: sharp is not installed, so images were checked by their headers only, not decoded\n');
  const { spec, shots, loaded } = valid;
  const seconds = shots.reduce((n, s) => n + s.request.duration, 0);
  const cents = seconds * (MODELS[spec.model]?.centsPerSecond ?? 0);
  if (json) {
    const out = {
      valid: true,
      spec: loaded.file,
      name: spec.name,
      seconds,
      cost_cents: cents,
      cost_usd: usdNumber(cents),
      shots: shots.map((s) => ({ id: s.id, duration: s.request.duration, request: s.request })),
    };
    io.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  } else {
    io.stdout.write(`${loaded.shown}: valid: ${plural(shots.length, 'shot')}, ${seconds} s of video, ${usd(cents)} to render from scratch\n`);
  }
  return EXIT.ok;
}
