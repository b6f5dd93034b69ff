import { shotStatus } from '../../plan/status.js';
import { paintFor } from '../../report/colour.js';
import { terminalWidth } from '../../report/output.js';
import { formatStatus, statusToJson } from '../../report/status.js';
import { defineCommand } from '../command.js';
import { detailedExitCode, EXIT } from '../exit-codes.js';
import { readStateFor, warnState } from '../state.js';
import { endpointOf } from '../options.js';

export const statusCommand = defineCommand({
  usage: 'render status SPEC [--json] [--verify] [--wide] [--mock] [--detailed-exitcode]',
  description: `
For each shot of the spec on the endpoint (WAVESPEED_BASE_URL, or --mock): what \`render plan\` would do now
(unchanged when it still matches the spec, else why not), the current take (its number of how many, its
status and prediction id), the duration, what it cost (a refunded failure shows as such), and whether its
output file is intact. Submits whose outcome is unknown are named with the commands that resolve them.
Lockfile entries of shots no longer in the spec are listed too (their spend still counts against the budget).

Exit codes: 0, 2 invalid spec or usage; with --detailed-exitcode also 4 when a shot does not match the spec
or its output is missing or changed, or a paid take waits to be fetched (an apply would do something),
5 when only blocked shots are left.`,
  options: {
    json: { type: 'boolean', description: 'print JSON on stdout (schema/status.schema.json)' },
    verify: { type: 'boolean', description: "check each output file's sha256, not only its size" },
    wide: { type: 'boolean', description: "show each shot's prompt too, in full" },
    mock: { type: 'boolean', description: 'the state of what was rendered on the embedded mock server' },
    'detailed-exitcode': { type: 'boolean', description: 'exit 4 when an apply would do something, 5 when only blocked shots are left' },
  },
  positionals: [1, 1],
  async run({ io, options, positionals }) {
    const state = await readStateFor(positionals[0]!, io, 'status');
    warnState(io, state);
    const report = shotStatus(positionals[0]!, { endpoint: endpointOf(options.mock, io.env), verify: Boolean(options.verify), state });
    io.stdout.write(
      options.json
        ? `${JSON.stringify(statusToJson(report), null, 2)}\n`
        : `${formatStatus(report, { wide: Boolean(options.wide), width: terminalWidth(io.stdout), paint: paintFor(io.stdout, io.env) })}\n`,
    );
    if (!options['detailed-exitcode']) return EXIT.ok;
    // A missing or changed output of an in-spec shot plans restore, regenerate or create: pending like any change.
    const broken = report.shots.some((s) => s.inSpec && (s.output === 'missing' || s.output === 'changed'));
    return broken
      ? EXIT.changesPending
      : detailedExitCode(
          report.shots.map((s) => s.action),
          report.toFetch.length > 0,
        );
  },
});
