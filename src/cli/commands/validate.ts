import { MODELS } from '../../models.js';
import { validateSpec } from '../../plan/plan-spec.js';
import { usd } from '../../money.js';
import { plural } from '../../report/format.js';
import { defineCommand } from '../command.js';
import { EXIT } from '../exit-codes.js';

export const validateCommand = defineCommand({
  usage: 'render validate SPEC [--json]',
  description: `
Reports every problem of the spec at once, each as file:line:col field: message.
Exit 0 when the spec is valid, 2 when it is not.`,
  options: {
    json: { type: 'boolean', description: 'print the expanded shots (id, duration, request) as JSON' },
  },
  positionals: [1, 1],
  async run({ io, options, positionals }) {
    const valid = validateSpec(positionals[0]!);
    const { spec, shots, loaded } = valid;
    const seconds = shots.reduce((n, s) => n + s.request.duration, 0);
    const cents = seconds * (MODELS[spec.model]?.centsPerSecond ?? 0);
    if (options.json) {
      const out = {
        valid: true,
        spec: loaded.file,
        name: spec.name,
        shots: shots.map((s) => ({ id: s.id, duration: s.request.duration, request: s.request })),
      };
      io.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    } else {
      io.stdout.write(`${loaded.shown}: valid: ${plural(shots.length, 'shot')}, ${seconds} s of video, ${usd(cents)} to render from scratch\n`);
    }
    return EXIT.ok;
  },
});
