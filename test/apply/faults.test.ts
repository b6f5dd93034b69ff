import { existsSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { FaultOptions, MockServer, MockServerOptions } from '../../src/mock/index.js';
import {
  applyUntilDone,
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
  shotOf,
  currentOf,
  latestOf,
  render,
  takesOf,
} from './helpers.js';

/**
 * A server that loses the answer of every submit until the `n`th lost one, then switches to `after`: the switch
 * happens inside the server as it drops that answer, so no other request can slip in between (no polling race).
 */
async function losingSubmits(n: number, after: FaultOptions, options: MockServerOptions = {}): Promise<MockServer> {
  let lost = 0;
  const server: MockServer = await mockServer({
    ...options,
    faults: { routes: ['submit'], lostSubmitRate: 1 },
    log: (line) => {
      if (line.startsWith('fault lostSubmit:') && ++lost === n) server.setFaults(after);
    },
  });
  return server;
}

describe('a submit whose response is lost', () => {
  it('is settled by listing: the created prediction is adopted, never submitted twice', async () => {
    // The first two submits are created and charged, and their answers lost; then the network heals. The list shows
    // inputs here, so each lost submit is told apart by its input even when two were lost at once.
    const server = await losingSubmits(2, {}, { listInputs: true });
    const p = makeProject({ shots: 6, concurrency: 2 });
    const r = await apply(p, server);
    expectExit(r, 0);

    const lost = server.stats().faults.lostSubmit!;
    const unknown = linesOf(r.stderr, /: submit outcome unknown \(.*\); counted as spent, looked for in the server's list, never sent again$/);
    expect(unknown).toHaveLength(lost);
    // The cause is said once, not nested in itself: `submit outcome unknown (network error: ...)`.
    for (const line of unknown) expect(line).toMatch(/: submit outcome unknown \(network error: [^()]*\); counted/);
    expect(linesOf(r.stderr, /: the lost submit exists as [0-9a-f]{32} \(matched by its input\): following it$/)).toHaveLength(lost);
    expect(linesOf(r.stderr, /^submitted /)).toHaveLength(6 - lost);
    expect(server.stats()).toMatchObject({ submissions: 6, duplicateSubmissions: 0, distinctBodies: 6 });
    expect(server.stats().lists).toBeGreaterThanOrEqual(1);
    const lock = expectVerifiedOutputs(p);
    for (const id of p.ids()) expect(takesOf(lock, id)).toHaveLength(1);
    expect(p.ids().filter((id) => currentOf(lock, id)!.settled_by === 'list')).toHaveLength(lost);
  });

  it("with a list that shows no inputs (as in the docs' examples): one lost submit at a time is the only unclaimed prediction in its window, and is adopted", async () => {
    // concurrency 1: while a lost submit is settled, no other submit of the model is in flight (the hold).
    const server = await losingSubmits(2, {});
    const p = makeProject({ shots: 4, concurrency: 1 });
    const r = await apply(p, server);
    expectExit(r, 0);
    const lost = server.stats().faults.lostSubmit!;
    expect(lost).toBe(2);
    expect(linesOf(r.stderr, /: the lost submit exists as [0-9a-f]{32} \(the only unclaimed prediction in its time window\): following it$/)).toHaveLength(
      lost,
    );
    expect(server.stats()).toMatchObject({ submissions: 4, duplicateSubmissions: 0 });
    expectVerifiedOutputs(p);
  });

  it('when the list cannot be read either, the shot waits for the next apply, which settles it without paying again', async () => {
    // After the first lost submit, submits work again, but listing (needed to settle the lost one) is down for
    // the rest of the run.
    const server = await losingSubmits(1, { routes: ['list'], errorRate: 1, errorStatuses: [503] }, { listInputs: true });
    const p = makeProject({ shots: 4, concurrency: 1 });
    const first = await apply(p, server);
    expectExit(first, 1);
    // Not a failure: the submit may be rendering. Said as unknown, live and in the summary, never as FAILED.
    expect(linesOf(first.stderr, / FAILED /)).toEqual([]);
    const [unknown] = linesOf(first.stderr, /^\[\d\/4\] unknown /);
    expect(unknown).toMatch(/^\[\d\/4\] unknown shot-01: could not look for a lost submit in the server's list; it stays outcome unknown: /);
    expect(first.stdout).toMatch(/^Done: 3 rendered, 0 failed, 1 unknown, 0 skipped/m);
    expect(first.stdout).toMatch(
      /^ {2}unknown shot-01 \(take #1, \$1\.26 counted as spent\): `render adopt SPEC shot-01 PREDICTION_ID` if the dashboard shows it, `render forget SPEC shot-01` if not$/m,
    );
    // Only an unknown submit failed: nothing to "resume", and the user is told what only they can do.
    expect(first.stdout).not.toContain('again to resume');
    expect(first.stdout).toMatch(
      /^Unknown submits are never sent again: `render apply` looks for them in the server's list, and only you can say what the list cannot \(adopt or forget, as above\)\.$/m,
    );
    expect(latestOf(readLock(p), 'shot-01')).toMatchObject({ status: 'unknown' });
    expect(latestOf(readLock(p), 'shot-01')!.prediction_id).toBeUndefined();

    const { plan } = await planJson(p, server);
    expect(shotOf(plan, 'shot-01')).toMatchObject({ action: 'resume', cost_cents: 0 });
    expect(shotOf(plan, 'shot-01').reason).toMatch(
      /^submit outcome unknown since .*: apply looks for it in the server's list and never pays again blindly; resolve it yourself with `render adopt` or `render forget`$/,
    );
    expect(plan.totals.to_submit).toBe(0);
    // Counted as spent until it is settled.
    expect(plan.totals.spent_cents).toBe(4 * 126);

    server.setFaults({});
    const second = await apply(p, server);
    expectExit(second, 0);
    expect(second.stderr).toMatch(/^shot-01: the lost submit exists as [0-9a-f]{32} \(matched by its input\): following it$/m);
    expect(linesOf(second.stderr, /^submitted /)).toEqual([]);
    expect(server.stats()).toMatchObject({ submissions: 4, duplicateSubmissions: 0 });
    expectVerifiedOutputs(p);
  });
});

describe('lost submits of identical requests', () => {
  it('three shots with the same body, all answers lost: no prediction can be told apart, so none is adopted or paid again; the user adopts them', async () => {
    // Render the same prompt three times to pick the best: three shots, three identical request bodies.
    const server = await losingSubmits(3, {}, { completeAfterMs: 300 });
    const p = makeProject({ shots: 3, concurrency: 3 });
    for (const shot of p.shots) Object.assign(shot, { prompt: 'the sneaker on a pedestal, slow orbit', image: 'assets/hero.png' });
    for (const [i, shot] of p.shots.entries()) shot.id = `variant-${i + 1}`;
    p.writeSpec();
    const r = await apply(p, server);
    expectExit(r, 1);
    expect(linesOf(r.stdout, /^ {2}unknown variant-\d \(take #1, \$1\.26 counted as spent\)/)).toHaveLength(3);
    // (Three identical bodies on purpose: the server's duplicate count does not apply; one prediction per shot does.)
    expect(server.stats()).toMatchObject({ submissions: 3, distinctBodies: 1 });
    // The next apply pays for none of them again.
    const again = await apply(p, server);
    expectExit(again, 1);
    expect(server.stats().submissions).toBe(3);

    // The user looks them up (here: the server's own list) and adopts one per shot.
    const ids = (await listedIds(server)).sort();
    expect(ids).toHaveLength(3);
    for (const [i, id] of p.ids().entries()) expectExit(await render(['adopt', p.spec, id, ids[i]!], { cwd: p.dir, server }), 0);
    const taken = await render(['adopt', p.spec, 'variant-1', ids[1]!], { cwd: p.dir, server });
    expectExit(taken, 2);
    const done = await apply(p, server);
    expectExit(done, 0);
    const lock = expectVerifiedOutputs(p);
    expect(
      p
        .ids()
        .map((id) => currentOf(lock, id)!.prediction_id)
        .sort(),
    ).toEqual(ids);
    expect(p.ids().map((id) => currentOf(lock, id)!.settled_by)).toEqual(['adopt', 'adopt', 'adopt']);
    expect(server.stats()).toMatchObject({ submissions: 3 });
  });
});

/** The ids of every prediction the server holds, as its list shows them. */
async function listedIds(server: MockServer): Promise<string[]> {
  const res = await fetch(`${server.url}/api/v3/predictions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${server.apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ page: 1, page_size: 100 }),
  });
  return ((await res.json()) as { data: { items: { id: string }[] } }).data.items.map((i) => i.id);
}

describe('429 storms', () => {
  // Without Retry-After a refused submit backs off 2 s, 4 s, ... (the real API's pace): too slow for a test,
  // so the header-less storm is on polls, which back off from 500 ms.
  it.each([
    { rate: 0.5, retryAfterSeconds: 1, routes: ['submit', 'result'] as const },
    { rate: 0.7, retryAfterSeconds: 1, routes: ['submit'] as const },
    { rate: 0.8, retryAfterSeconds: 0, routes: ['result'] as const },
  ])(
    'rate $rate, Retry-After $retryAfterSeconds s on $routes: completes, nothing paid twice',
    async ({ rate, retryAfterSeconds, routes }) => {
      const server = await mockServer({ seed: 11, faults: { routes: [...routes], rateLimitRate: rate, retryAfterSeconds } });
      const p = makeProject({ shots: 5, concurrency: 5 });
      // A shot may give up on a storm that lasts too long: then the next apply resumes it, still paying once. Polls
      // keep to --poll-interval (--poll-growth 1): each refused poll already backs off from 500 ms, and a schedule
      // that also grows with every refusal only adds waiting (tens of seconds) to what the test shows.
      await applyUntilDone(p, server, {
        maxRuns: 6,
        allowed: /(submit refused|could not follow prediction).*rate limit|429|RATE_LIMITED/i,
        extra: ['--poll-growth', '1'],
      });
      const stats = server.stats();
      expect(stats.faults.rateLimit).toBeGreaterThan(5);
      expect(stats).toMatchObject({ submissions: 5, duplicateSubmissions: 0 });
      expect(keptCents(server)).toBe(5 * 126);
      expectVerifiedOutputs(p);
    },
    90_000,
  );
});

describe('failed tasks', () => {
  it('a server failure (5000) fails the run (exit 1), is refunded, and the next plan retries it', async () => {
    const server = await mockServer({ faults: { taskFailRate: 1, taskFailCodes: [5000] } });
    const p = makeProject({ shots: 4 });
    const r = await apply(p, server);
    expectExit(r, 1);
    expect(r.stdout).toMatch(/^Done: 0 rendered, 4 failed, 0 skipped/m);
    for (const id of p.ids()) {
      expect(r.stdout).toMatch(new RegExp(`^  failed  ${id}: prediction [0-9a-f]{32} failed \\(task code 5000\\): 5000: internal server error$`, 'm'));
    }
    expect(r.stdout).toContain('Run `render apply` again to resume: nothing paid is paid again.');
    const lock = readLock(p);
    for (const id of p.ids()) {
      expect(currentOf(lock, id)).toMatchObject({ status: 'failed', error: { code: 'TASK_FAILED', task_code: 5000 } });
      expect(currentOf(lock, id)!.outputs).toEqual([]);
    }
    expect(keptCents(server)).toBe(0);

    const { code, plan } = await planJson(p, server);
    expect(code).toBe(0);
    for (const s of plan.shots) expect(s).toMatchObject({ action: 'retry', cost_cents: 126, reason: 'failed: 5000 internal server error' });
    // Failed takes were refunded: they do not count as spent.
    expect(plan.totals).toMatchObject({ spent_cents: 0, cost_cents: 4 * 126 });

    server.setFaults({});
    const retry = await apply(p, server);
    expectExit(retry, 0);
    const after = expectVerifiedOutputs(p);
    for (const id of p.ids()) {
      // The failed take is kept; the retry is a new take of the same inputs (spec take 1), a new prediction.
      expect(takesOf(after, id)[0]).toEqual(expect.objectContaining({ status: 'failed', prediction_id: currentOf(lock, id)!.prediction_id }));
      expect(currentOf(after, id)!.prediction_id).not.toBe(currentOf(lock, id)!.prediction_id);
      expect(currentOf(after, id)).toMatchObject({ n: 2, take: 1 });
    }
    // The same bodies went out again, which is no double payment: the failed ones were refunded.
    expect(server.stats()).toMatchObject({ submissions: 8, distinctBodies: 4, duplicateSubmissions: 0 });
    expect(keptCents(server)).toBe(4 * 126);
  });

  it('a moderation failure (1200) is blocked: the next apply does not resubmit it until the shot changes', async () => {
    const server = await mockServer({ faults: { taskFailRate: 1, taskFailCodes: [1200] } });
    const p = makeProject({ shots: 3 });
    const r = await apply(p, server);
    expectExit(r, 1);
    expect(r.stdout).toMatch(/^Done: 0 rendered, 3 failed, 0 skipped/m);
    expect(linesOf(r.stdout, /^ {2}failed {2}shot-0\d: prediction [0-9a-f]{32} failed \(task code 1200\): 1200: content moderation/)).toHaveLength(3);
    // Running again would not help them: the summary says what will.
    expect(r.stdout).toContain('3 shots failed on their input: change them in the spec to render them again.');
    expect(r.stdout).not.toContain('Run `render apply` again');
    // status names the failure once, its code not repeated.
    const status = (await render(['status', p.spec], { cwd: p.dir, server })).stdout;
    expect(
      linesOf(status, /^ {2}shot-0\d +blocked +#1 failed +3s +\$0\.00 \(\$1\.26 refunded\) .* 1200 content moderation: the input or output was flagged$/),
    ).toHaveLength(3);

    const { plan } = await planJson(p, server);
    for (const s of plan.shots) {
      expect(s.action).toBe('blocked');
      expect(s.cost_cents).toBe(0);
      expect(s.reason).toBe('failed: 1200 content moderation: the input or output was flagged; the same inputs would fail again: change the shot to retry it');
    }
    expect(plan.totals.to_submit).toBe(0);
    // Scripts asking --detailed-exitcode learn that only blocked shots are left: 5 from plan and status.
    expectExit(await render(['plan', p.spec, '--detailed-exitcode'], { cwd: p.dir, server }), 5);
    expectExit(await render(['status', p.spec, '--detailed-exitcode'], { cwd: p.dir, server }), 5);

    server.setFaults({});
    const again = await apply(p, server);
    // Nothing was done, but blocked shots are trouble a script must see: exit 5, not 0.
    expectExit(again, 5);
    expect(server.stats().submissions).toBe(3);
    expect(again.stderr).toContain(
      'Nothing to do ($0.00): 3 shots blocked (failed on their input: change them in the spec to render them again), 0 rendered and intact.',
    );
    expect(again.stderr).not.toContain('every shot is rendered');

    // Changing the prompt of one blocked shot makes it renderable again; the others stay blocked.
    p.shots[1]!.prompt = 'take 2, reworded: the sneaker on a pedestal in soft light';
    p.writeSpec();
    const { plan: edited } = await planJson(p, server);
    expect(actions(edited)).toEqual({ 'shot-01': 'blocked', 'shot-02': 'retry', 'shot-03': 'blocked' });
    expect(shotOf(edited, 'shot-02').reason).toBe('failed before (1200 content moderation: the input or output was flagged); prompt changed');
    const third = await apply(p, server);
    expectExit(third, 5); // shot-01 and shot-03 are still blocked
    expect(server.stats()).toMatchObject({ submissions: 4, duplicateSubmissions: 0 });
    expectVerifiedOutputs(p, ['shot-02']);
  });
});

describe('a server that cannot be reached', () => {
  it('stops the run once, before any shot, saying so; nothing is recorded as submitted', async () => {
    // A port that was just free: nothing listens there, so every connection is refused.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const p = makeProject({ shots: 3 });
    const url = `http://127.0.0.1:${port}`;
    const r = await render(['apply', p.spec, ...FAST], { cwd: p.dir, env: { WAVESPEED_BASE_URL: url, WAVESPEED_API_KEY: 'k' } });
    expectExit(r, 1);
    expect(r.stderr).toMatch(new RegExp(`^error: cannot reach ${url} \\(price [^ ]+: network error: [^()]*ECONNREFUSED[^()]*\\): nothing was submitted$`, 'm'));
    // Said once: not a note per price shape, not a failure per shot.
    expect(r.stderr).not.toMatch(/FAILED|submit outcome unknown|not quoted/);
    expect(r.stderr.match(/cannot reach/g)).toHaveLength(1);
    expect(existsSync(p.lockFile)).toBe(false);
  });
});
