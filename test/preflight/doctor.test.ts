import { describe, expect, it } from 'vitest';
import { createClient } from '../../src/provider/index.js';
import { expectExit, makeProject, mockServer, render } from '../apply/helpers.js';

/**
 * `render doctor` (docs/SPEC.md "Commands and exit codes"): $0 checks of the configured server, one verdict per
 * line, exit 1 on a problem. Against the local server in docs mode (no inputs on list items), as the real API's
 * documentation shows it. It never submits: every test ends with the server's own count of submissions at zero.
 */

const KEY = 'sk-live-0123456789abcdef';

/** The verdict and detail of a check's line in the table, by its label. */
function line(stdout: string, label: string): string {
  const found = stdout.split('\n').find((l) => l.trimStart().startsWith(`${label} `));
  if (!found) throw new Error(`no "${label}" line in:\n${stdout}`);
  return found.trim().replace(/\s{2,}/g, ' | ');
}

describe('render doctor', () => {
  it('against a healthy server: every check passes, exit 0, and nothing is submitted, uploaded or charged', async () => {
    const server = await mockServer({ apiKey: KEY });
    const p = makeProject({ shots: 4 });
    const r = await render(['doctor', p.spec], { cwd: p.dir, server });
    expectExit(r, 0);
    expect(line(r.stdout, 'API key')).toBe('API key | ok | accepted (never printed)');
    expect(line(r.stdout, 'balance')).toBe("balance | ok | $10000.00; covers this plan's $5.04 (4 shots to submit)");
    expect(line(r.stdout, 'price 3 s')).toBe('price 3 s | ok | $1.26 quoted, as in the price table (4 shots)');
    expect(line(r.stdout, 'list inputs')).toMatch(/^list inputs \| info \| no prediction in the last 7 days/);
    expect(line(r.stdout, 'server clock')).toMatch(/^server clock \| ok \| agrees with ours/);
    expect(line(r.stdout, 'round trip')).toMatch(/^round trip \| (ok|WARN) \| (slow: )?\d+ ms \(fastest of 3 requests; slowest \d+ ms\)$/);
    expect(r.stdout).toContain('No problem found: nothing was submitted or spent.');
    expect(r.stdout + r.stderr).not.toContain(KEY);
    expect(server.stats()).toMatchObject({ submissions: 0, uploads: 0, chargesCents: 0, balanceCents: 1_000_000 });
  });

  it('a key the server refuses is a problem of its own (exit 1), the other checks skipped, the key never printed', async () => {
    const server = await mockServer({ apiKey: KEY });
    const p = makeProject({ shots: 2 });
    const wrong = 'sk-live-WRONG-0000000000';
    const r = await render(['doctor', p.spec], { cwd: p.dir, server, env: { WAVESPEED_API_KEY: wrong } });
    expectExit(r, 1);
    expect(line(r.stdout, 'API key')).toBe('API key | PROBLEM | refused by the server (HTTP 401): the key is wrong, revoked or for another server');
    expect(line(r.stdout, 'balance')).toBe('balance | - | not checked: the key did not work');
    expect(r.stdout).toContain('1 problem: fix it before `render apply`.');
    expect(r.stdout + r.stderr).not.toContain(wrong);
    expect(r.stdout + r.stderr).not.toContain(KEY);
    expect(server.stats().submissions).toBe(0);
  });

  it('no key at all is a problem too, and asks the server nothing', async () => {
    const server = await mockServer();
    const p = makeProject({ shots: 1 });
    const r = await render(['doctor'], { cwd: p.dir, server, env: { WAVESPEED_API_KEY: '' } });
    expectExit(r, 1);
    expect(line(r.stdout, 'API key')).toBe('API key | PROBLEM | WAVESPEED_API_KEY is not set');
    expect(server.stats()).toMatchObject({ lists: 0, billing: { searches: 0 } });
  });

  it("a balance below what the spec's plan would spend is a problem, with how much is missing", async () => {
    const server = await mockServer({ balanceUsd: 5 });
    const p = makeProject({ shots: 8 }); // 8 x $1.26 = $10.08
    const r = await render(['doctor', p.spec], { cwd: p.dir, server });
    expectExit(r, 1);
    expect(line(r.stdout, 'balance')).toBe("balance | PROBLEM | $5.00; does not cover this plan's $10.08 (8 shots to submit): $5.08 short");
    expect(server.stats()).toMatchObject({ submissions: 0, balanceCents: 500 });
  });

  it('a server price above the price table is a problem per request shape, saying by how much', async () => {
    const server = await mockServer({ priceFactor: 1.1 });
    const p = makeProject({ shots: 3 });
    p.shots[2]!.duration = 5;
    p.writeSpec();
    const r = await render(['doctor', p.spec], { cwd: p.dir, server });
    expectExit(r, 1);
    expect(line(r.stdout, 'price 3 s')).toBe(
      'price 3 s | PROBLEM | $1.39 quoted, $1.26 in the price table: $0.13 more; apply refuses shots priced above their plan (2 shots)',
    );
    expect(line(r.stdout, 'price 5 s')).toBe(
      'price 5 s | PROBLEM | $2.31 quoted, $2.10 in the price table: $0.21 more; apply refuses shots priced above their plan (1 shot)',
    );
    expect(r.stdout).toContain('2 problems: fix them before `render apply`.');
    expect(server.stats().submissions).toBe(0);
  });

  it('a server price below the table is a warning, not a problem (exit 0); a discount is shown, not counted', async () => {
    const server = await mockServer({ priceFactor: 0.9, discountFactor: 0.5 });
    const p = makeProject({ shots: 1 });
    const r = await render(['doctor', p.spec], { cwd: p.dir, server });
    expectExit(r, 0);
    expect(line(r.stdout, 'price 3 s')).toBe(
      'price 3 s | WARN | $1.13 quoted, $1.26 in the price table: $0.13 less; plans show the higher figure (discounted $0.57: render counts the full price) (1 shot)',
    );
    expect(r.stdout).toContain('No problem found: nothing was submitted or spent. 1 warning to read.');
  });

  it('a server without the quote route (404) is a warning: apply goes on at the price table', async () => {
    const server = await mockServer({ faults: { routes: ['price'], errorRate: 1, errorStatuses: [404] } });
    const r = await render(['doctor'], { cwd: makeProject({ shots: 1 }).dir, server });
    expectExit(r, 0);
    expect(line(r.stdout, 'price 5 s')).toBe("price 5 s | WARN | the server has no price quote (HTTP 404): apply goes on at the table's $2.10");
  });

  it('says whether the list shows inputs, so the user knows how a lost submit settles', async () => {
    const p = makeProject({ shots: 1 });
    for (const [listInputs, expected] of [
      [
        false,
        'list inputs | info | the list shows no inputs (as the API docs show it): a lost submit settles by itself only when one prediction fits its time window, else by `render adopt` / `render forget`',
      ],
      [true, "list inputs | ok | the list shows each prediction's input: a lost submit settles by itself, matched by its input"],
    ] as const) {
      const server = await mockServer({ listInputs });
      // Someone's earlier prediction on the account, for the list to show.
      await createClient({ baseUrl: server.url, apiKey: server.apiKey }).submit('kwaivgi/kling-v3.0-4k/text-to-video', { prompt: 'sea', duration: 3 });
      const r = await render(['doctor'], { cwd: p.dir, server });
      expectExit(r, 0);
      expect(line(r.stdout, 'list inputs')).toBe(expected);
      expect(server.stats().submissions).toBe(1); // the test's own; doctor added none
    }
  });

  it('--json: snake_case keys, money as {cents, usd}, one entry per check', async () => {
    const server = await mockServer({ balanceUsd: 5 });
    const p = makeProject({ shots: 2 });
    const r = await render(['doctor', p.spec, '--json'], { cwd: p.dir, server });
    expectExit(r, 0);
    const json = JSON.parse(r.stdout);
    expect(json).toMatchObject({ server: { url: server.url, kind: 'compatible' }, spec: { name: 'e2e' }, ok: true, problems: 0, warnings: 0 });
    expect(json.checks.map((c: { check: string }) => c.check)).toEqual(['api_key', 'balance', 'price', 'list_inputs', 'server_clock', 'round_trip']);
    expect(json.checks[1]).toMatchObject({ verdict: 'ok', balance: { cents: 500, usd: 5 }, plan_cost: { cents: 252, usd: 2.52 } });
    expect(json.checks[2]).toMatchObject({
      model: 'kwaivgi/kling-v3.0-4k/image-to-video',
      duration: 3,
      sound: false,
      shots: 2,
      table: { cents: 126, usd: 1.26 },
      quoted: { cents: 126, usd: 1.26 },
    });
    expect(json.checks[3]).toMatchObject({ shows_inputs: null, looked_at: 0 });
    expect(json.checks[5]).toMatchObject({ fastest_ms: expect.any(Number), requests: 3 });
  });

  it('--mock checks the embedded server: a dry run of the checks, play money', async () => {
    const p = makeProject({ shots: 1 });
    const r = await render(['doctor', p.spec, '--mock'], { cwd: p.dir, env: { WAVESPEED_API_KEY: '' } });
    expectExit(r, 0);
    expect(r.stdout).toMatch(/^render doctor: http:\/\/127\.0\.0\.1:\d+ \(the embedded mock server: play money\), spec e2e/);
    expect(line(r.stdout, 'API key')).toBe('API key | ok | accepted (never printed)');
  });

  it('an invalid spec exits 2 before any request', async () => {
    const server = await mockServer();
    const p = makeProject({ shots: 1 });
    p.shots[0]!.duration = 99;
    p.writeSpec();
    const r = await render(['doctor', p.spec], { cwd: p.dir, server });
    expectExit(r, 2);
    expect(server.stats()).toMatchObject({ lists: 0, billing: { searches: 0 } });
  });
});
