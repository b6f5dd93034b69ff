import { shotStatus } from '../../plan/status.js';
import { formatStatus, statusToJson } from '../../report/status.js';
import { defineCommand } from '../command.js';
import { EXIT } from '../exit-codes.js';
import { readStateFor, warnState } from '../state.js';
import { endpointOf } from '../options.js';

export const statusCommand = defineCommand({
  usage: 'render status SPEC [--json] [--verify] [--wide] [--mock]',
  description: `
For each shot of the spec on the endpoint (WAVESPEED_BASE_URL, or --mock): what \`render plan\` would do now,
the current take (its number, status and prediction id), the duration, what it cost (a refunded failure
shows as such), and whether its output file is intact. Submits whose outcome is unknown are named with the
commands that resolve them. Lockfile entries of shots no longer in the spec are listed too (their spend
still counts against the budget).`,
  options: {
    json: { type: 'boolean', description: 'print JSON on stdout' },
    verify: { type: 'boolean', description: "check each output file's sha256, not only its size" },
    wide: { type: 'boolean', description: "show each shot's prompt too" },
    mock: { type: 'boolean', description: 'the state of what was rendered on the embedded mock server' },
  },
  positionals: [1, 1],
  async run({ io, options, positionals }) {
    const state = await readStateFor(positionals[0]!, io, 'status');
    warnState(io, state);
    const report = shotStatus(positionals[0]!, { endpoint: endpointOf(options.mock, io.env), verify: Boolean(options.verify), state });
    io.stdout.write(options.json ? `${JSON.stringify(statusToJson(report), null, 2)}\n` : `${formatStatus(report, { wide: Boolean(options.wide) })}\n`);
    return EXIT.ok;
  },
});
