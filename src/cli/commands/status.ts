import { shotStatus } from '../../plan/status.js';
import { formatStatus, statusToJson } from '../../report/status.js';
import type { Command } from '../command.js';
import { EXIT } from '../exit-codes.js';
import { endpointOf } from '../options.js';

export const statusCommand: Command = {
  name: 'status',
  summary: 'Show what the lockfile and the output folder say, per shot; no network',
  usage: 'render status SPEC [--json] [--verify] [--wide] [--mock]',
  description: `
For each shot of the spec on the endpoint (WAVESPEED_BASE_URL, or --mock): what \`render plan\` would do now,
the current take (its number, status and prediction id), the duration, what it cost (a refunded failure
shows as such), and whether its output file is intact. Submits whose outcome is unknown are named with the
commands that resolve them. Lockfile entries of shots no longer in the spec are listed too (their spend
still counts against the budget).`,
  options: {
    json: { type: 'boolean', description: 'print JSON on stdout' },
    verify: { type: 'boolean', description: 'check each output file\'s sha256, not only its size' },
    wide: { type: 'boolean', description: 'show each shot\'s prompt too' },
    mock: { type: 'boolean', description: 'the state of what was rendered on the embedded mock server' },
  },
  positionals: [1, 1],
  async run({ io, values, positionals }) {
    const report = shotStatus(positionals[0]!, { endpoint: endpointOf(values, io.env), verify: Boolean(values.verify) });
    io.stdout.write(values.json ? `${JSON.stringify(statusToJson(report), null, 2)}\n` : `${formatStatus(report, { wide: Boolean(values.wide) })}\n`);
    return EXIT.ok;
  },
};
