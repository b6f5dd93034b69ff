import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { apply, expectExit, makeProject, mockServer, render } from '../apply/helpers.js';

/**
 * Live prices (docs/SPEC.md "Live prices"): `render plan --quote` asks `POST /api/v3/model/price` once per distinct
 * request shape and shows the server's price beside the price table's; without `--quote` plan makes no request.
 * `render apply` always quotes before it uploads anything, and refuses to submit a shot the server prices above its
 * planned cost (money rule: never spend more than the plan said). The local server in docs mode, with its price
 * moved by `priceFactor`.
 */

/** A mock server that records the path of every request it answers. */
async function pricedServer(options: Parameters<typeof mockServer>[0] = {}) {
  const paths: string[] = [];
  const server = await mockServer({
    ...options,
    log: (l) => {
      const m = /^mock: [A-Z]+ (\S+) /.exec(l);
      if (m) paths.push(m[1]!);
    },
  });
  return { server, quotes: () => paths.filter((p) => p === '/api/v3/model/price').length, requests: () => paths.length };
}

/** 3 shots of 3 s and one of 5 s: two price shapes. */
function twoShapes() {
  const p = makeProject({ shots: 4 });
  p.shots[3]!.duration = 5;
  p.writeSpec();
  return p;
}

describe('render plan --quote', () => {
  it('without --quote, plan asks the server nothing', async () => {
    const { server, requests } = await pricedServer();
    const p = twoShapes();
    expectExit(await render(['plan', p.spec], { cwd: p.dir, server }), 0);
    expect(requests()).toBe(0);
  });

  it('asks once per distinct request shape and shows the quote beside the cost; as planned, exit 0', async () => {
    const { server, quotes } = await pricedServer();
    const p = twoShapes();
    const r = await render(['plan', p.spec, '--quote'], { cwd: p.dir, server });
    expectExit(r, 0);
    expect(quotes()).toBe(2);
    expect(r.stdout).toMatch(/ACTION +DUR +COST +QUOTE +PROMPT/);
    expect(r.stdout).toMatch(/shot-04 +create +5s +\$2\.10 +\$2\.10 /);
    expect(r.stdout).toContain("  quoted                $5.88   the server's price, as planned");
  });

  it('a discounted server price is shown below the plan, called out, and exit stays 0', async () => {
    const { server } = await pricedServer({ priceFactor: 0.9 });
    const p = twoShapes();
    const r = await render(['plan', p.spec, '--quote'], { cwd: p.dir, server });
    expectExit(r, 0);
    expect(r.stdout).toMatch(/shot-01 +create +3s +\$1\.26 +\$1\.13 -\$0\.13 /);
    expect(r.stdout).toContain("  quoted                $5.28   the server's price: $0.60 below the plan");
    expect(r.stdout).toContain(
      "price below plan: the server quotes 4 shots $0.60 below the price table; the plan's figures stay what is counted (`render ledger` shows what was charged)",
    );
  });

  it('a raised server price is called out as what apply will refuse, and exits 1', async () => {
    const { server } = await pricedServer({ priceFactor: 1.1 });
    const p = twoShapes();
    const r = await render(['plan', p.spec, '--quote'], { cwd: p.dir, server });
    expectExit(r, 1);
    expect(r.stdout).toMatch(/shot-04 +create +5s +\$2\.10 +\$2\.31 \+\$0\.21 /);
    expect(r.stdout).toContain("  quoted                $6.48   the server's price: $0.60 ABOVE the plan");
    expect(r.stdout).toContain(
      'PRICE ABOVE PLAN: the server quotes 4 shots $0.60 above the price table (shot-01, shot-02, shot-03, shot-04): `render apply` refuses to submit them',
    );
    expect(server.stats().submissions).toBe(0);
  });

  it('--json gives each shot to submit its quoted cents, the shapes, and the quoted totals', async () => {
    const { server } = await pricedServer({ priceFactor: 1.1, discountFactor: 0.5 });
    const p = twoShapes();
    const r = await render(['plan', p.spec, '--quote', '--json'], { cwd: p.dir, server });
    expectExit(r, 1);
    const json = JSON.parse(r.stdout);
    expect(json.shots[3]).toMatchObject({ id: 'shot-04', cost_cents: 210, quoted: { cents: 231, usd: 2.31 } });
    expect(json.quotes).toEqual([
      {
        model: 'kwaivgi/kling-v3.0-4k/image-to-video',
        duration: 3,
        sound: false,
        shots: ['shot-01', 'shot-02', 'shot-03'],
        table: { cents: 126, usd: 1.26 },
        quoted: { cents: 139, usd: 1.39 },
        discounted: { cents: 70, usd: 0.7 },
        verdict: 'above_plan',
      },
      expect.objectContaining({ duration: 5, shots: ['shot-04'], quoted: { cents: 231, usd: 2.31 }, verdict: 'above_plan' }),
    ]);
    expect(json.totals).toMatchObject({ cost_cents: 588, quoted: { cents: 648, usd: 6.48 }, quoted_difference: { cents: 60, usd: 0.6 }, unquoted_shots: 0 });
  });

  it('a server without the quote route (404) leaves the table in charge, says so, and exits 0', async () => {
    const { server } = await pricedServer({ faults: { routes: ['price'], errorRate: 1, errorStatuses: [404] } });
    const p = twoShapes();
    const r = await render(['plan', p.spec, '--quote'], { cwd: p.dir, server });
    expectExit(r, 0);
    expect(r.stdout).toMatch(/shot-01 +create +3s +\$1\.26 +n\/a /);
    expect(r.stdout).toContain("not quoted: the server has no price quote (HTTP 404); the price table's figures are used");
  });

  it('shots that submit nothing are not quoted: a rendered campaign asks for no price', async () => {
    const { server, quotes } = await pricedServer();
    const p = makeProject({ shots: 2 });
    expectExit(await apply(p, server), 0);
    const before = quotes();
    const r = await render(['plan', p.spec, '--quote'], { cwd: p.dir, server });
    expectExit(r, 0);
    expect(quotes()).toBe(before);
    expect(r.stdout).toContain("  quoted                $0.00   the server's price, as planned");
  });
});

describe('render apply and live prices', () => {
  it('refuses to submit shots the server prices above their plan, says by how much, and nothing is uploaded or charged', async () => {
    const { server } = await pricedServer({ priceFactor: 1.1 });
    const p = twoShapes();
    const r = await apply(p, server);
    expectExit(r, 1);
    expect(r.stderr).toContain(
      'error: the server quotes 4 shots above the plan, $0.60 more in all: shot-01 $1.39, planned $1.26 (+$0.13); shot-02 $1.39, planned $1.26 (+$0.13); shot-03 $1.39, planned $1.26 (+$0.13); shot-04 $2.31, planned $2.10 (+$0.21): nothing was submitted',
    );
    expect(r.stderr).toContain("hint: prices changed since render's price table: `render plan --quote` shows every shot at the server's price");
    expect(server.stats()).toMatchObject({ submissions: 0, uploads: 0, chargesCents: 0, balanceCents: 1_000_000 });
    expect(existsSync(p.lockFile)).toBe(false);
  });

  it('quotes each shape once per run, and goes on when every quote is as planned', async () => {
    const { server, quotes } = await pricedServer();
    const p = twoShapes();
    const r = await apply(p, server);
    expectExit(r, 0);
    expect(quotes()).toBe(2);
    expect(server.stats()).toMatchObject({ submissions: 4, chargesCents: 588 });
  });

  it('a lower quote does not stop the run; the run says so', async () => {
    const { server } = await pricedServer({ priceFactor: 0.9 });
    const p = makeProject({ shots: 2 });
    const r = await apply(p, server);
    expectExit(r, 0);
    expect(r.stderr).toContain('price below plan: the server quotes 2 shots $0.26 below the price table');
    expect(server.stats()).toMatchObject({ submissions: 2, chargesCents: 226 });
  });

  it('a server without the quote route (404) does not block the run, and the run says so', async () => {
    const { server } = await pricedServer({ faults: { routes: ['price'], errorRate: 1, errorStatuses: [404] } });
    const p = makeProject({ shots: 2 });
    const r = await apply(p, server);
    expectExit(r, 0);
    expect(r.stderr).toContain("not quoted: the server has no price quote (HTTP 404); the price table's figures are used");
    expect(server.stats().submissions).toBe(2);
  });

  it('the refusal names only the shots this run would submit (--only)', async () => {
    const { server } = await pricedServer({ priceFactor: 1.1 });
    const p = twoShapes();
    const r = await apply(p, server, ['--only', 'shot-04']);
    expectExit(r, 1);
    expect(r.stderr).toContain(
      'error: the server quotes 1 shot above the plan, $0.21 more in all: shot-04 $2.31, planned $2.10 (+$0.21): nothing was submitted',
    );
    expect(server.stats().submissions).toBe(0);
  });
});
