import { runDoctor } from '../../apply/doctor.js';
import { planSpec } from '../../plan/plan-spec.js';
import { doctorToJson, formatDoctor } from '../../report/doctor.js';
import { displayPath } from '../../util/paths.js';
import { defineCommand } from '../command.js';
import { EXIT } from '../exit-codes.js';
import { COMMON, endpointOf } from '../options.js';
import { connect } from '../server.js';
import { readStateFor, warnState } from '../state.js';

export const doctorCommand = defineCommand({
  usage: 'render doctor [SPEC] [--json] [--mock]',
  description: `
Checks the configured server (WAVESPEED_BASE_URL and WAVESPEED_API_KEY, or the embedded one with --mock)
for $0: nothing is submitted, uploaded or written. One verdict per line:
  API key       accepted or refused (never printed)
  balance       the account's, and whether it covers what \`render apply SPEC\` would spend now
  price ...     the server's quote for each distinct request shape of the spec (duration, sound), against
                render's price table (without SPEC: a 5 s shot of the default model); apply refuses a shot
                the server prices above its plan
  list inputs   whether the server's prediction list shows each prediction's input: how a submit whose
                answer was lost will settle (by its input, by its time window, or by adopt / forget)
  server clock  how far the server's clock is from ours
  round trip    the fastest and slowest request
Run it once before the first real apply, and whenever the key or the server changes.

Exit codes: 0 no problem (warnings are for reading), 1 a problem, 2 invalid spec or usage.`,
  options: {
    json: COMMON.json,
    mock: { type: 'boolean', description: 'check the embedded mock server instead (a dry run of the checks)' },
  },
  positionals: [0, 1],
  async run({ io, options, positionals }) {
    const mock = Boolean(options.mock);
    // The spec is planned offline first: an invalid one exits 2 before any request.
    const spec = positionals[0];
    const state = spec === undefined ? undefined : await readStateFor(spec, io, 'doctor');
    warnState(io, state);
    const planned = spec === undefined ? undefined : planSpec(spec, { endpoint: endpointOf(mock, io.env), state });
    const conn = await connect(io, { mock });
    try {
      const report = await runDoctor({ client: conn.client, hasKey: mock || Boolean(io.env.WAVESPEED_API_KEY), plan: planned?.plan });
      const target = {
        url: conn.client.baseUrl,
        endpoint: conn.endpoint,
        ...(planned ? { spec: { name: planned.plan.name, file: displayPath(planned.plan.specFile) } } : {}),
      };
      io.stdout.write(options.json ? `${JSON.stringify(doctorToJson(report, target), null, 2)}\n` : `${formatDoctor(report, target)}\n`);
      return report.problems > 0 ? EXIT.failed : EXIT.ok;
    } finally {
      await conn.close();
    }
  },
});
