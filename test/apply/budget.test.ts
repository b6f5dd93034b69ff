import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { MockServer } from '../../src/mock/index.js';
import { manualClock } from '../helpers/manual-clock.js';
import {
  actions,
  apply,
  expectExit,
  expectVerifiedOutputs,
  FAST,
  keptCents,
  linesOf,
  makeProject,
  mockServer,
  planJson,
  readLock,
  startRender,
  waitUntil,
  shotsOf,
} from './helpers.js';

/** Another job on the same account spends `seconds` of video: a direct submit, as any other client would. */
async function spendElsewhere(server: MockServer, seconds: number): Promise<void> {
  const res = await fetch(`${server.url}/api/v3/kwaivgi/kling-v3.0-4k/image-to-video`, {
    method: 'POST',
    headers: { authorization: `Bearer ${server.apiKey}`, 'content-type': 'application/json' },
    // A URL that is never fetched: the mock only checks its own.
    body: JSON.stringify({ image: 'https://example.invalid/other-job.png', prompt: 'another team’s job', duration: seconds }),
  });
  expect(res.status).toBe(200);
}

describe('budget and balance', () => {
  it('a plan over the spec budget exits 3 and submits (and uploads) nothing', async () => {
    const server = await mockServer();
    const p = makeProject({ shots: 8, budgetUsd: 10.07 }); // 8 x $1.26 = $10.08
    const r = await apply(p, server);
    expectExit(r, 3);
    expect(r.stderr).toContain(
      'error: the plan is over budget by $0.01 ($0.00 spent before + $10.08 this apply, budget $10.07): nothing was submitted\nhint: raise budget.max_usd, or render fewer shots with --only',
    );
    expect(server.stats()).toMatchObject({ submissions: 0, uploads: 0, chargesCents: 0 });
    expect(existsSync(p.lockFile)).toBe(false);
    expect(existsSync(p.outputDir)).toBe(false);
    expect(p.lockFiles()).toEqual([]);

    // The budget exactly met is within it.
    p.options.budgetUsd = 10.08;
    p.writeSpec();
    expectExit(await apply(p, server), 0);
    expect(keptCents(server)).toBe(1008);
  });

  it('what was spent before counts: adding shots that pass the budget exits 3, nothing submitted', async () => {
    const server = await mockServer();
    const p = makeProject({ shots: 4, budgetUsd: 6.5 });
    expectExit(await apply(p, server), 0);
    const before = server.stats();
    p.shots.push(
      { id: 'extra-1', prompt: 'an extra shot, slow pan', image: 'assets/hero.png' },
      { id: 'extra-2', prompt: 'another extra shot, slow tilt', image: 'assets/studio.jpg' },
    );
    p.writeSpec();
    const r = await apply(p, server);
    expectExit(r, 3);
    expect(r.stderr).toContain('error: the plan is over budget by $1.06 ($5.04 spent before + $2.52 this apply, budget $6.50): nothing was submitted');
    expect(server.stats()).toEqual(before);
    // One of them fits.
    const one = await apply(p, server, ['--only', 'extra-1']);
    expectExit(one, 0);
    expect(server.stats().submissions).toBe(5);
    expect(keptCents(server)).toBe(630);
  });

  it('--max-cost below the plan exits 3 and submits nothing; at the plan it runs', async () => {
    const server = await mockServer();
    const p = makeProject({ shots: 5 });
    const r = await apply(p, server, ['--max-cost', '6.29']);
    expectExit(r, 3);
    expect(r.stderr).toContain(
      'error: the plan is over --max-cost by $0.01 ($6.30 this apply, --max-cost $6.29): nothing was submitted\nhint: raise --max-cost, or render fewer shots with --only',
    );
    expect(server.stats()).toMatchObject({ submissions: 0, uploads: 0 });
    expect(existsSync(p.lockFile)).toBe(false);

    expectExit(await apply(p, server, ['--max-cost', '$6.30']), 0);
    expect(server.stats()).toMatchObject({ submissions: 5, duplicateSubmissions: 0 });
    expect(keptCents(server)).toBe(630);
  });

  it('a balance lower than the plan is refused before anything is submitted (INSUFFICIENT_BALANCE)', async () => {
    const server = await mockServer({ balanceUsd: 5 });
    const p = makeProject({ shots: 6 }); // $7.56
    const r = await apply(p, server);
    expectExit(r, 1);
    expect(r.stderr).toContain("error: the account balance $5.00 does not cover this apply's $7.56: nothing was submitted");
    expect(r.stderr).toContain('hint: top up your WaveSpeedAI balance');
    expect(server.stats()).toMatchObject({ submissions: 0, uploads: 0, balanceCents: 500 });
    expect(existsSync(p.lockFile)).toBe(false);
  });

  it('a balance that runs out mid-run stops new submits; what was paid is kept and never overshoots', async () => {
    // The balance covers the plan when the run starts; another job on the account then spends most of it, while
    // the server's clock stands still: no task of the run can end (and free a slot for a third submit) before.
    const clock = manualClock();
    const server = await mockServer({ clock, balanceUsd: 10.08, completeAfterMs: 400 });
    const p = makeProject({ shots: 8, concurrency: 2 });
    const run = startRender(['apply', p.spec, ...FAST], { cwd: p.dir, server });
    await waitUntil(() => server.stats().submissions === 2, 'the first two submits');
    await spendElsewhere(server, 15); // $6.30
    clock.flow();
    const r = await run.done;
    expectExit(r, 1);

    const stats = server.stats();
    const mine = stats.submissions - 1;
    expect(mine).toBeGreaterThanOrEqual(2);
    expect(mine).toBeLessThan(8);
    expect(stats.balanceCents).toBeGreaterThanOrEqual(0);
    expect(stats.chargesCents).toBeLessThanOrEqual(1008);
    // The first refusal stops new submits; one already in flight in the other slot may be refused too.
    const refused = linesOf(r.stderr, / FAILED shot-\d\d: submit refused: .*Insufficient balance/);
    expect(refused.length).toBeGreaterThanOrEqual(1);
    expect(refused.length).toBeLessThanOrEqual(2);
    const skipped = linesOf(r.stderr, / skipped shot-\d\d: stopped submitting: .*Insufficient balance/);
    expect(refused.length + skipped.length).toBe(8 - mine);
    expect(r.stdout).toMatch(new RegExp(`^Done: ${mine} rendered, ${refused.length} failed, ${skipped.length} skipped`, 'm'));

    // Paid shots are complete; the others left no trace in the lockfile, and the next plan creates exactly them.
    const lock = readLock(p);
    const done = Object.keys(shotsOf(lock)).sort();
    expect(done).toHaveLength(mine);
    expectVerifiedOutputs(p, done);
    const { code, plan } = await planJson(p, server);
    expect(code).toBe(0);
    expect(actions(plan)).toEqual(Object.fromEntries(p.ids().map((id) => [id, done.includes(id) ? 'unchanged' : 'create'])));
    expect(plan.totals).toMatchObject({ spent_cents: mine * 126, cost_cents: (8 - mine) * 126 });

    // Without a top-up the next apply is refused up front.
    const again = await apply(p, server);
    expectExit(again, 1);
    expect(again.stderr).toMatch(/error: the account balance \$\d+\.\d\d does not cover this apply's/);
    expect(server.stats().submissions).toBe(stats.submissions);
  });
});
