import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { checkJsonSchema, committedSchema } from '../helpers/json-schema.js';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { MockServer } from '../../src/mock/index.js';
import { createClient } from '../../src/provider/index.js';
import { apply, expectExit, makeProject, mockServer, render, type Project } from '../apply/helpers.js';
import { manualClock } from '../helpers/manual-clock.js';

/**
 * `render ledger` (docs/SPEC.md "Commands and exit codes"): the account's billings matched to the lockfile,
 * prediction by prediction, and the charges of the campaign's time window that no take owns. The embedded `--mock`
 * server's bill is gone once it stops, so these tests run a standalone local server (docs mode) in the test
 * process and point the CLI at it with WAVESPEED_BASE_URL, as a user would with `render mock`.
 */

const ledger = (p: Project, server: MockServer, extra: string[] = []) => render(['ledger', p.spec, ...extra], { cwd: p.dir, server });

/** The table line of a take, columns joined by `|`. */
function row(stdout: string, shot: string): string {
  const found = stdout.split('\n').find((l) => l.trimStart().startsWith(`${shot} `));
  if (!found) throw new Error(`no row for ${shot} in:\n${stdout}`);
  return found.trim().replace(/\s{2,}/g, ' | ');
}

/** Another job on the same account: one prediction submitted straight to the server with the client. */
async function submitElsewhere(server: MockServer): Promise<string> {
  const client = createClient({ baseUrl: server.url, apiKey: server.apiKey });
  const p = await client.submit('kwaivgi/kling-v3.0-4k/image-to-video', { image: 'https://example.invalid/other.png', prompt: 'another job', duration: 5 });
  return p.id;
}

describe('render ledger', () => {
  it('matches every charge to its take: planned, counted and charged agree, difference $0.00', async () => {
    const server = await mockServer();
    const p = makeProject({ shots: 3 });
    expectExit(await apply(p, server), 0);
    const r = await ledger(p, server);
    expectExit(r, 0);
    expect(row(r.stdout, 'shot-01')).toMatch(/^shot-01 \| #1 \| [0-9a-f]{32} \| completed \| \$1\.26 \| \$1\.26 \| \$1\.26 \| — \| \$0\.00$/);
    expect(r.stdout).toContain('  charged               $3.78');
    expect(r.stdout).toContain('  difference            $0.00   the bill matches the lockfile');
    expect(r.stdout).not.toContain('Charges no shot owns');
    expect(server.stats().submissions).toBe(3);
  });

  it('reads refunds by their billing type (a refund amount is positive): a failed, refunded take nets $0.00', async () => {
    const server = await mockServer({ faults: { taskFailRate: 1, taskFailCodes: [5000] } });
    const p = makeProject({ shots: 2 });
    expectExit(await apply(p, server), 1);
    const r = await ledger(p, server);
    expectExit(r, 0);
    expect(row(r.stdout, 'shot-01')).toMatch(
      /^shot-01 \| #1 \| [0-9a-f]{32} \| failed \| \$1\.26 \| \$0\.00 \| \$1\.26 \| \$1\.26 \| \$0\.00 \| failed: refunded$/,
    );
    expect(r.stdout).toContain('  refunded              $2.52');
    expect(r.stdout).toContain('  difference            $0.00   the bill matches the lockfile');
  });

  it('a refund not yet made shows as billed above what the lockfile counts, and says why', async () => {
    const server = await mockServer({ refundAfterMs: 3 * 3_600_000, faults: { taskFailRate: 1, taskFailCodes: [5000] } });
    const p = makeProject({ shots: 1 });
    expectExit(await apply(p, server), 1);
    const r = await ledger(p, server);
    expectExit(r, 0);
    expect(row(r.stdout, 'shot-01')).toMatch(
      /\| failed \| \$1\.26 \| \$0\.00 \| \$1\.26 \| — \| \+\$1\.26 \| failed: refund pending \(within about 3 hours\)$/,
    );
    expect(r.stdout).toContain('  difference           +$1.26   billed minus counted: see the notes');
  });

  it('a charge no take owns, in the campaign window, is listed apart: another run on the account', async () => {
    const server = await mockServer();
    const p = makeProject({ shots: 2 });
    expectExit(await apply(p, server), 0);
    const other = await submitElsewhere(server);
    const r = await ledger(p, server);
    expectExit(r, 0);
    expect(r.stdout).toContain("Charges no shot owns, in the campaign's time window: 1 prediction, $2.10 net");
    expect(r.stdout).toMatch(
      new RegExp(`${other} +kwaivgi/kling-v3\\.0-4k/image-to-video +\\S+ \\S+ +\\$2\\.10 +— +no unknown submit of this campaign fits it`),
    );
    // The campaign's own figures are not touched by it, and the verdict says the bill holds more.
    expect(r.stdout).toContain('  charged               $2.52');
    expect(r.stdout).toContain('  difference            $0.00   for the takes; the bill also holds charges no shot owns (below)');
  });

  it('the charge of a lost submit never settled is listed apart with the `render adopt` that resolves it', async () => {
    // The answer is lost and the list lags far behind: apply cannot settle it, so the take stays "outcome unknown".
    const server = await mockServer({ listLagMs: 3_600_000, faults: { routes: ['submit'], lostSubmitRate: 1 } });
    const p = makeProject({ shots: 1 });
    expectExit(await apply(p, server), 1);
    const r = await ledger(p, server);
    expectExit(r, 0);
    expect(row(r.stdout, 'shot-01')).toMatch(/^shot-01 \| #1 \| — \| unknown \| \$1\.26 \| \$1\.26 \| — \| — \| — \| outcome unknown: no prediction id/);
    // Never "the bill matches" while a take counted as spent is not matched to it.
    expect(r.stdout).toContain(
      '  difference            $0.00   of the matched takes only: 1 take counted as spent ($1.26) could not be matched to the bill: see the notes',
    );
    const id = /([0-9a-f]{32}) .*may be shot-01 take 1's lost submit: check it, then render adopt spec\.yaml shot-01 \1/.exec(r.stdout)?.[1];
    expect(id, r.stdout).toBeDefined();

    // Adopting it, as the hint says, makes the charge the take's own.
    expectExit(await render(['adopt', p.spec, 'shot-01', id!], { cwd: p.dir, server }), 0);
    const after = await ledger(p, server);
    expect(row(after.stdout, 'shot-01')).toMatch(
      new RegExp(`^shot-01 \\| #1 \\| ${id} \\| completed \\| \\$1\\.26 \\| \\$1\\.26 \\| \\$1\\.26 \\| — \\| \\$0\\.00`),
    );
    expect(after.stdout).not.toContain('Charges no shot owns');
    expect(server.stats()).toMatchObject({ submissions: 1, duplicateSubmissions: 0 });
  });

  it('is read-only: the lockfile keeps its bytes and time, and no journal or state file appears', async () => {
    const server = await mockServer();
    const p = makeProject({ shots: 2 });
    expectExit(await apply(p, server), 0);
    await submitElsewhere(server);
    const state = path.join(p.dir, '.render');
    const before = { bytes: readFileSync(p.lockFile), mtime: statSync(p.lockFile).mtimeMs, state: readdirSync(state).sort() };
    expectExit(await ledger(p, server), 0);
    expectExit(await ledger(p, server, ['--json']), 0);
    expect(readFileSync(p.lockFile).equals(before.bytes)).toBe(true);
    expect(statSync(p.lockFile).mtimeMs).toBe(before.mtime);
    expect(readdirSync(state).sort()).toEqual(before.state);
    expect(server.stats().submissions).toBe(3);
  });

  it('--json: per take and in total, money in cents and dollars (x_cents, x_usd); unowned charges apart; as schema/ledger.schema.json says', async () => {
    const clock = manualClock();
    clock.flow();
    const server = await mockServer({ clock, faults: { taskFailRate: 1, taskFailCodes: [5000] } });
    const p = makeProject({ shots: 1 });
    expectExit(await apply(p, server), 1);
    // The server's time stands still from here: the other job stays in flight, charged and not (yet) refunded,
    // however long the ledger takes to run on a busy machine.
    clock.freeze();
    const other = await submitElsewhere(server);
    const r = await ledger(p, server, ['--json']);
    expectExit(r, 0);
    const json = JSON.parse(r.stdout);
    expect(checkJsonSchema(committedSchema('ledger.schema.json'), json)).toEqual([]);
    expect(json).toMatchObject({ name: 'e2e', endpoint: server.url, complete: true, ignored_items: 0 });
    expect(json.takes).toEqual([
      expect.objectContaining({
        shot: 'shot-01',
        take: 1,
        status: 'failed',
        planned_cents: 126,
        planned_usd: 1.26,
        counted_cents: 0,
        counted_usd: 0,
        charged_cents: 126,
        charged_usd: 1.26,
        refunded_cents: 126,
        refunded_usd: 1.26,
        difference_cents: 0,
        difference_usd: 0,
        note: 'failed: refunded',
      }),
    ]);
    expect(json.totals).toEqual({
      planned_cents: 126,
      planned_usd: 1.26,
      counted_cents: 0,
      counted_usd: 0,
      charged_cents: 126,
      charged_usd: 1.26,
      refunded_cents: 126,
      refunded_usd: 1.26,
      net_cents: 0,
      net_usd: 0,
      difference_cents: 0,
      difference_usd: 0,
    });
    expect(json.unowned).toEqual([
      {
        prediction_id: other,
        model: 'kwaivgi/kling-v3.0-4k/image-to-video',
        charged_at: expect.any(String),
        charged_cents: 210,
        charged_usd: 2.1,
        refunded_cents: 0,
        refunded_usd: 0,
        fits: [],
      },
    ]);
  });

  it('with nothing rendered on the endpoint, there is nothing to match and the bill is not read', async () => {
    const server = await mockServer();
    const p = makeProject({ shots: 1 });
    const r = await ledger(p, server);
    expectExit(r, 0);
    expect(r.stdout).toContain('no take on this endpoint yet: nothing to match');
    expect(server.stats().billing.searches).toBe(0);
    expect(existsSync(p.lockFile)).toBe(false);
  });

  it('needs the key: without it, exit 1 before any request', async () => {
    const server = await mockServer();
    const p = makeProject({ shots: 1 });
    const r = await render(['ledger', p.spec], { cwd: p.dir, server, env: { WAVESPEED_API_KEY: '' } });
    expectExit(r, 1);
    expect(r.stderr).toContain("error: WAVESPEED_API_KEY is not set: ledger reads the account's billings");
    expect(server.stats().billing.searches).toBe(0);
  });
});
