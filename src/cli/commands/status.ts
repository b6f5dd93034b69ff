import { shotStatus } from '../../plan/status.js';
import { formatStatus, statusToJson } from '../../report/status.js';
import { defineCommand } from '../command.js';
import { EXIT } from '../exit-codes.js';

export const statusCommand = defineCommand({
  usage: 'render status SPEC [--json] [--verify]',
  description: `
For each shot of the spec: its last recorded state (rendered, in flight, failed...), the endpoint and
prediction id, what it cost, and whether its output file is intact. Lockfile entries of shots no longer
in the spec are listed too (their spend still counts against the budget).`,
  options: {
    json: { type: 'boolean', description: 'print JSON on stdout' },
    verify: { type: 'boolean', description: "check each output file's sha256, not only its size" },
  },
  positionals: [1, 1],
  async run({ io, options, positionals }) {
    const report = shotStatus(positionals[0]!, { verify: Boolean(options.verify) });
    io.stdout.write(options.json ? `${JSON.stringify(statusToJson(report), null, 2)}\n` : `${formatStatus(report)}\n`);
    return EXIT.ok;
  },
});
