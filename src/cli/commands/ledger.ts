import { ledgerOf } from '../../apply/ledger.js';
import { formatLedger, ledgerToJson } from '../../report/ledger.js';
import { defineCommand } from '../command.js';
import { EXIT } from '../exit-codes.js';
import { COMMON } from '../options.js';
import { connect, requireKey } from '../server.js';
import { readStateFor, warnState } from '../state.js';

export const ledgerCommand = defineCommand({
  usage: 'render ledger SPEC [--json]',
  description: `
Reads the account's billings (charges and refunds per prediction) on the configured server
(WAVESPEED_BASE_URL, WAVESPEED_API_KEY) for the campaign's time window, and matches them to the lockfile:
per take, its planned cost, what the lockfile counts as spent, what was charged and refunded, and the
difference. Then the charges in that window that no take owns: a submit whose answer was lost and that
was never settled (\`render adopt\` it when one fits), or another run on the same account.
Read-only: nothing is written, submitted or paid. The bill reaches back 7 days. With RENDER_STATE_URL
(or the spec's state: { url_env }), the takes come from that PostgreSQL database.
(The embedded --mock server's bill is gone when it stops: to try it, run \`render mock\` and point
WAVESPEED_BASE_URL at it.)

Exit codes: 0 the ledger was read (whatever it shows), 1 the server could not be asked, 2 invalid spec or usage.`,
  options: { json: COMMON.json },
  positionals: [1, 1],
  async run({ io, options, positionals }) {
    requireKey(io, "ledger reads the account's billings");
    const state = await readStateFor(positionals[0]!, io, 'ledger');
    warnState(io, state);
    const conn = await connect(io);
    try {
      const { ledger, specFile, name } = await ledgerOf({ spec: positionals[0]!, endpoint: conn.endpoint, client: conn.client, state });
      const target = { specFile, name };
      io.stdout.write(options.json ? `${JSON.stringify(ledgerToJson(ledger, target), null, 2)}\n` : `${formatLedger(ledger, target)}\n`);
      return EXIT.ok;
    } finally {
      await conn.close();
    }
  },
});
