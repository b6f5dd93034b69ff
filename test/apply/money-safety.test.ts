import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { beforeAll, describe, expect, it } from 'vitest';
import type { MockServer, MockServerOptions } from '../../src/mock/index.js';
import { manualClock } from '../helpers/manual-clock.js';
import {
  actions,
  ensureBuilt,
  expectExit,
  expectVerifiedOutputs,
  keptCents,
  latestOf,
  linesOf,
  makeProject,
  mockServer,
  planJson,
  readLock,
  render,
  shotOf,
  spawnRender,
  takesOf,
  currentOf,
  waitUntil,
  type Project,
  type RunResult,
  type Spawned,
} from './helpers.js';
import { endpointOfServer, expectMoneySafe, expectNoVideoLost, predictionsWithPrompt, videoCensus } from './invariants.js';

/**
 * Issue 9 (money safety), end to end: the CLI against the local WaveSpeed-compatible server. Each test ends with
 * the invariants of invariants.ts: nothing submitted twice (the server's own count), every prediction id in the
 * lockfile created from that shot's own request, no charge past a cap, no video lost.
 */

// Runs that are SIGKILLed, and applies started as separate processes, are the built binary.
beforeAll(ensureBuilt, 180_000);

/** FAST, with lost submits looked for in the list 50 ms after they were given up (three looks: 50, 100, 150 ms). */
const QUICK = ['--yes', '--poll-interval', '50ms', '--settle-after', '50ms', '--request-timeout', '3s'] as const;

function applyQuick(p: Project, server: MockServer, extra: readonly string[] = [], env?: Record<string, string>): Promise<RunResult> {
  return render(['apply', p.spec, ...QUICK, ...extra], { cwd: p.dir, server, env });
}

/** Wait for `check` while a spawned run lives: a run that ends first fails the test with its output. */
async function whileRunning(run: Spawned, check: () => boolean, what: string): Promise<void> {
  let ended: RunResult | undefined;
  void run.done.then((r) => (ended = r));
  await waitUntil(() => check() || ended !== undefined, what);
  if (!check()) throw new Error(`the run ended before ${what}: exit ${ended?.code}\n${ended?.stderr}`);
}

type SubmitFault = 'lost' | 'drop';

/**
 * A server whose submits meet the faults of `script` in order, one each, then none: `lost` creates and charges
 * the prediction and drops the answer; `drop` cuts the connection before the server handles the request (nothing
 * created, nothing charged). The switch happens inside the server as each fault fires, so no other submit slips
 * in between.
 */
async function scriptedSubmits(script: SubmitFault[], options: MockServerOptions = {}): Promise<MockServer> {
  const faultOf = (k: SubmitFault | undefined) =>
    k === undefined ? {} : k === 'lost' ? { routes: ['submit' as const], lostSubmitRate: 1 } : { routes: ['submit' as const], dropRate: 1 };
  let fired = 0;
  const server: MockServer = await mockServer({
    ...options,
    faults: faultOf(script[0]),
    log: (line) => {
      if (line.startsWith('fault lostSubmit:') || line === 'mock: fault drop on submit') server.setFaults(faultOf(script[++fired]));
    },
  });
  return server;
}

describe('issue 9.1: "not in the list" is never taken as "never created"', () => {
  it('a submit the server never saw stays outcome unknown, counted as spent, never sent again; a lost one is found by its input', async () => {
    // shot-01's answer is lost (the prediction exists, charged); shot-02's request is cut before the server handles
    // it (nothing exists). Both are "outcome unknown" to render; only the list can tell them apart, and only for
    // the one that is in it.
    const server = await scriptedSubmits(['lost', 'drop'], { listInputs: true });
    const p = makeProject({ shots: 3, concurrency: 1 });
    const first = await applyQuick(p, server);
    expectExit(first, 1);
    expect(server.stats()).toMatchObject({ submissions: 2, faults: expect.objectContaining({ lostSubmit: 1, drop: 1 }) });
    expect(
      linesOf(first.stderr, /^shot-0[12]: submit outcome unknown \(.*\); counted as spent, looked for in the server's list, never sent again$/),
    ).toHaveLength(2);
    expect(linesOf(first.stderr, / FAILED /)).toEqual([]);
    expect(first.stdout).toMatch(/^Done: 2 rendered, 0 failed, 1 unknown, 0 skipped /m);
    expect(linesOf(first.stderr, /^\[\d\/3\] unknown /)).toEqual([
      expect.stringMatching(
        /^\[\d\/3\] unknown shot-02: submit outcome unknown \(take #1\): no prediction in the server's list can be shown to be it; counted as spent \(look for it in the WaveSpeed dashboard/,
      ),
    ]);
    expect(first.stderr).toMatch(/^shot-01: the lost submit exists as [0-9a-f]{32} \(matched by its input\): following it$/m);
    expect(first.stdout).toMatch(
      /^ {2}unknown shot-02 \(take #1, \$1\.26 counted as spent\): `render adopt SPEC shot-02 PREDICTION_ID` if the dashboard shows it, `render forget SPEC shot-02` if not$/m,
    );
    expect(latestOf(readLock(p), 'shot-02')).toMatchObject({ status: 'unknown', error: { code: 'UNKNOWN_OUTCOME' } });
    expect(latestOf(readLock(p), 'shot-02')!.prediction_id).toBeUndefined();
    expectVerifiedOutputs(p, ['shot-01', 'shot-03']);

    // The plan resumes it for $0 and counts its cost as spent; it names both ways to resolve it.
    const { plan } = await planJson(p, server);
    expect(shotOf(plan, 'shot-02')).toMatchObject({ action: 'resume', cost_cents: 0 });
    expect(shotOf(plan, 'shot-02').reason).toContain('`render adopt` or `render forget`');
    expect(plan.totals).toMatchObject({ to_submit: 0, cost_cents: 0, spent_cents: 3 * 126 });

    // Another apply looks again, finds nothing, and still pays nothing: absence is not evidence.
    const again = await applyQuick(p, server);
    expectExit(again, 1);
    expect(server.stats().submissions).toBe(2);
    expect(latestOf(readLock(p), 'shot-02')!.status).toBe('unknown');

    // The user checked the dashboard: it never became a prediction. Then it is planned, and paid, once.
    const forget = await render(['forget', p.spec, 'shot-02'], { cwd: p.dir, server });
    expectExit(forget, 0);
    expect(forget.stdout).toMatch(/^forgot take #1 of shot-02: \$1\.26 no longer counted as spent/);
    const { plan: next } = await planJson(p, server);
    expect(shotOf(next, 'shot-02')).toMatchObject({ action: 'create', cost_cents: 126 });
    expect(next.totals.spent_cents).toBe(2 * 126);
    expectExit(await applyQuick(p, server), 0);
    expect(server.stats().submissions).toBe(3);
    const lock = await expectMoneySafe(p, server);
    expectVerifiedOutputs(p);
    expect(takesOf(lock, 'shot-02').map((t) => t.status)).toEqual(['forgotten', 'completed']);
    expect(currentOf(lock, 'shot-01')!.settled_by).toBe('list');
    expect(keptCents(server)).toBe(3 * 126);
  });
});

describe('issue 9.1: a real server is less kind than ours', () => {
  it('a clock 10 minutes ahead, a list that shows the stored image URL and lags behind: every lost submit is found by its input, none is paid twice', async () => {
    const server = await mockServer({
      seed: 7,
      listInputs: true,
      storeMediaUrls: true,
      clockSkewMs: 10 * 60_000,
      listLagMs: 100,
      faults: { routes: ['submit'], lostSubmitRate: 0.5 },
    });
    const p = makeProject({ shots: 6, concurrency: 2 });
    const runs: RunResult[] = [];
    for (let i = 0; i < 3 && runs.at(-1)?.code !== 0; i++) runs.push(await applyQuick(p, server));
    expectExit(runs.at(-1)!, 0);
    const lost = server.stats().faults.lostSubmit ?? 0;
    expect(lost, 'submits whose answer the server dropped').toBeGreaterThan(0);
    // Every submit whose outcome was unknown is found by its input: the ones the server dropped, and on a loaded
    // machine also any that ran past the client's deadline.
    const found = runs.flatMap((r) => linesOf(r.stderr, /: the lost submit exists as [0-9a-f]{32} \(matched by its input\): following it$/));
    const unknown = runs.flatMap((r) => linesOf(r.stderr, /: submit outcome unknown \(/));
    expect(found.length).toBeGreaterThanOrEqual(lost);
    expect(found).toHaveLength(unknown.length);
    expect(server.stats().submissions).toBe(6);
    const lock = await expectMoneySafe(p, server);
    for (const id of p.ids()) expect(takesOf(lock, id), id).toHaveLength(1);
    expectVerifiedOutputs(p);
  });

  it('a list without inputs (as the docs show it) and a skewed clock: a lost submit alone in its window is followed; nothing is sent twice', async () => {
    const server = await scriptedSubmits(['lost'], { clockSkewMs: 10 * 60_000 });
    const p = makeProject({ shots: 3, concurrency: 1 });
    const r = await applyQuick(p, server);
    expectExit(r, 0);
    expect(r.stderr).toMatch(/^shot-01: the lost submit exists as [0-9a-f]{32} \(the only unclaimed prediction in its time window\): following it$/m);
    expect(server.stats()).toMatchObject({ submissions: 3, faults: expect.objectContaining({ lostSubmit: 1 }) });
    await expectMoneySafe(p, server);
    expectVerifiedOutputs(p);
  });
});

/** Give a shot a `take:` number in the spec file (makeProject's spec has no take field). */
function setTake(p: Project, id: string, take: number): void {
  const text = readFileSync(p.spec, 'utf8');
  const line = `  - id: ${id}\n`;
  const at = text.indexOf(line);
  expect(at, `${id} in the spec`).toBeGreaterThanOrEqual(0);
  const cut = at + line.length;
  writeFileSync(p.spec, `${text.slice(0, cut)}    take: ${take}\n${text.slice(cut)}`);
}

describe('issue 9.2: an unknown intent never keeps a shot stuck', () => {
  it('editing, bumping take or removing shots whose submits are unknown: the new inputs plan normally, the intents stay counted, adopt/forget resolve them', async () => {
    const clock = manualClock();
    clock.flow();
    const server = await scriptedSubmits(['drop'], { clock, completeAfterMs: 200 });
    const p = makeProject({ shots: 4, concurrency: 4 });
    const [one, two, three] = p.shots.map((s) => ({ ...s }));
    // shot-04's request is cut before the server sees it: unknown, and never created.
    expectExit(await applyQuick(p, server, ['--only', 'shot-04']), 1);
    expect(server.stats().submissions).toBe(0);
    // shot-01..03 are created and charged, then the run is killed before any answer: unknown, but paid.
    clock.freeze();
    server.setFaults({ routes: ['submit'], slowRate: 1, slowMs: 1500 });
    const run = spawnRender(['apply', p.spec, ...QUICK, '--only', 'shot-01,shot-02,shot-03'], { cwd: p.dir, server });
    await whileRunning(run, () => server.stats().submissions === 3, 'the server to charge three submits');
    expect((await run.kill()).signal).toBe('SIGKILL');

    // The spec moves on: shot-01's prompt changes, shot-02 is to be rendered again (take 2), shot-03 and shot-04 go.
    p.shots = [{ ...one!, prompt: 'shot one, reshot: the sneaker on a wet street at night' }, { ...two! }];
    p.writeSpec();
    setTake(p, 'shot-02', 2);
    const { plan } = await planJson(p, server);
    expect(actions(plan)).toEqual({ 'shot-01': 'create', 'shot-02': 'create' });
    for (const id of ['shot-01', 'shot-02']) {
      expect(shotOf(plan, id)).toMatchObject({ cost_cents: 126 });
      expect(shotOf(plan, id).reason).toBe(
        'never rendered; an earlier submit of other inputs (take #1) is still outcome unknown and counted as spent: `render adopt` or `render forget` it',
      );
    }
    // Four unknown intents are counted as spent, shots in the spec or not.
    expect(plan.totals).toMatchObject({ to_submit: 2, cost_cents: 252, spent_cents: 4 * 126 });
    const status = JSON.parse((await render(['status', p.spec, '--json'], { cwd: p.dir, server })).stdout) as {
      shots: { id: string; in_spec: boolean; unknown: { take: number }[] }[];
    };
    expect(status.shots.map((s) => [s.id, s.in_spec, s.unknown.map((u) => u.take)])).toEqual([
      ['shot-01', true, [1]],
      ['shot-02', true, [1]],
      ['shot-03', false, [1]],
      ['shot-04', false, [1]],
    ]);

    server.setFaults({});
    clock.flow();
    const r = await applyQuick(p, server);
    expectExit(r, 0);
    expect(linesOf(r.stderr, /^submitted /)).toHaveLength(2);
    expect(server.stats().submissions).toBe(5);
    const lock = readLock(p);
    expect(takesOf(lock, 'shot-01').map((t) => [t.n, t.status])).toEqual([
      [1, 'submitting'],
      [2, 'completed'],
    ]);
    expect(currentOf(lock, 'shot-01')!.n).toBe(2);
    expectVerifiedOutputs(p, ['shot-01', 'shot-02']);

    // The user looks in the dashboard and resolves each: three were created (adopted), shot-04 never was.
    const claimed = new Set(Object.values(lock.endpoints[endpointOfServer(server)]!.shots).flatMap((s) => s.takes.map((t) => t.prediction_id)));
    const unclaimed = async (prompt: string) => {
      const found = (await predictionsWithPrompt(server, prompt)).filter((x) => !claimed.has(x.id));
      expect(found, `one unclaimed prediction of "${prompt}"`).toHaveLength(1);
      return found[0]!.id;
    };
    const adopt = async (id: string, prediction: string) => {
      const a = await render(['adopt', p.spec, id, prediction, '--take', '1'], { cwd: p.dir, server });
      expectExit(a, 0);
      expect(a.stdout).toMatch(new RegExp(`^adopted ${prediction} as take #1 of ${id} \\(completed\\)`));
    };
    await adopt('shot-01', await unclaimed(one!.prompt));
    await adopt('shot-02', await unclaimed(two!.prompt));
    await adopt('shot-03', await unclaimed(three!.prompt)); // no longer in the spec
    const forget = await render(['forget', p.spec, 'shot-04'], { cwd: p.dir, server }); // no longer in the spec
    expectExit(forget, 0);

    const after = readLock(p);
    // An older take found later never takes the place of the newer one.
    expect(currentOf(after, 'shot-01')!.n).toBe(2);
    expect(currentOf(after, 'shot-02')!.n).toBe(2);
    expect(takesOf(after, 'shot-04').map((t) => t.status)).toEqual(['forgotten']);
    const { plan: adopted } = await planJson(p, server);
    expect(actions(adopted)).toEqual({ 'shot-01': 'unchanged', 'shot-02': 'unchanged' });
    expect(adopted.totals.spent_cents).toBe(5 * 126);
    expect(keptCents(server)).toBe(5 * 126);
    // The three adopted predictions are paid videos no shot is on: the next apply keeps them in .takes/, for $0.
    expect(adopted.fetch).toEqual([
      { id: 'shot-01', take_n: 1, status: 'completed' },
      { id: 'shot-02', take_n: 1, status: 'completed' },
      { id: 'shot-03', take_n: 1, status: 'completed' },
    ]);
    expect((await render(['plan', p.spec, '--detailed-exitcode'], { cwd: p.dir, server })).code).toBe(4);
    // status says so too, and counts them as pending.
    const pending = await render(['status', p.spec, '--detailed-exitcode'], { cwd: p.dir, server });
    expectExit(pending, 4);
    expect(pending.stdout).toMatch(
      /^3 paid takes not downloaded yet \(shot-01 #1, shot-02 #1, shot-03 #1\): the next `render apply` fetches them into \.takes\/ for \$0$/m,
    );
    const fetched = await applyQuick(p, server);
    expectExit(fetched, 0);
    expect(linesOf(fetched.stderr, /^kept take #1 of shot-0[123] as .*\.takes\/.*: paid, never downloaded/)).toHaveLength(3);
    expect(fetched.stdout).toMatch(/^Done: 0 rendered, 3 earlier paid takes kept, 0 failed, 0 skipped in [\d.]+ s; spent \$0\.00 this run, \$6\.30 in all$/m);
    expect(server.stats().submissions).toBe(5);
    const { plan: done } = await planJson(p, server);
    expect(done.fetch).toEqual([]);
    expect((await render(['plan', p.spec, '--detailed-exitcode'], { cwd: p.dir, server })).code).toBe(0);
    expect((await render(['status', p.spec, '--detailed-exitcode'], { cwd: p.dir, server })).code).toBe(0);
    // shot-02's take 2 is the same request as its take 1, rendered again on purpose: the one deliberate repeat.
    await expectMoneySafe(p, server, { deliberateDuplicates: 1 });
    const final = readLock(p);
    for (const id of ['shot-01', 'shot-02', 'shot-03']) expect(takesOf(final, id)[0]!.outputs, id).toHaveLength(1);
    expectNoVideoLost(p, new Map());
  });
});

/** The committed lockfile as it is on disk right now (no journal replayed), or undefined before the first write. */
function committedTakes(p: Project): { id: string; status: string; prediction_id?: string }[] {
  if (!existsSync(p.lockFile)) return [];
  const lock = JSON.parse(readFileSync(p.lockFile, 'utf8')) as {
    endpoints: Record<string, { shots: Record<string, { takes: { status: string; prediction_id?: string }[] }> }>;
  };
  return Object.values(lock.endpoints).flatMap((e) => Object.entries(e.shots).flatMap(([id, s]) => s.takes.map((t) => ({ id, ...t }))));
}

describe('issue 9.3: prediction ids reach the committed lockfile while the run goes on', () => {
  it('killed after some submits, then .render/ deleted: the next apply pays for nothing twice and every paid shot is recorded', async () => {
    // The server's clock stands still: submits are answered at once, but no prediction ends, so the run holds two
    // in flight and goes no further until it is killed.
    const clock = manualClock();
    const server = await mockServer({ clock, completeAfterMs: 200 });
    const p = makeProject({ shots: 6, concurrency: 2 });
    const run = spawnRender(['apply', p.spec, ...QUICK], { cwd: p.dir, server });
    // The committed lockfile itself (not .render/'s journal) names both predictions while the run is alive.
    await whileRunning(run, () => committedTakes(p).filter((t) => t.prediction_id).length === 2, 'two prediction ids in the committed lockfile');
    expect((await run.kill()).signal).toBe('SIGKILL');
    rmSync(p.abs('.render'), { recursive: true, force: true });

    expect(server.stats().submissions).toBe(2);
    const committed = committedTakes(p);
    expect(committed).toHaveLength(2);
    const { plan } = await planJson(p, server);
    expect(plan.totals.spent_cents).toBe(keptCents(server));
    for (const t of committed) expect(shotOf(plan, t.id)).toMatchObject({ action: 'resume', cost_cents: 0 });
    expect(plan.totals).toMatchObject({ to_submit: 4, cost_cents: 4 * 126 });

    clock.flow();
    expectExit(await applyQuick(p, server), 0);
    expect(server.stats()).toMatchObject({ submissions: 6, predictions: { completed: 6, failed: 0, inFlight: 0 } });
    const lock = await expectMoneySafe(p, server);
    for (const id of p.ids()) expect(takesOf(lock, id), id).toHaveLength(1);
    expectVerifiedOutputs(p);
  });

  it('killed while the server holds the answers, then .render/ deleted: the committed intents are found in the list, not paid again', async () => {
    // Every submit is created and charged, then answered 1.5 s later on a clock that stands still: the run has
    // intents without ids when it is killed.
    const clock = manualClock();
    const server = await mockServer({ clock, completeAfterMs: 200, listInputs: true, faults: { routes: ['submit'], slowRate: 1, slowMs: 1500 } });
    const p = makeProject({ shots: 4, concurrency: 2 });
    const run = spawnRender(['apply', p.spec, ...QUICK], { cwd: p.dir, server });
    await whileRunning(run, () => server.stats().submissions === 2 && committedTakes(p).length === 2, 'two charged submits whose intents are committed');
    expect((await run.kill()).signal).toBe('SIGKILL');
    rmSync(p.abs('.render'), { recursive: true, force: true });
    expect(committedTakes(p).map((t) => t.status)).toEqual(['submitting', 'submitting']);

    server.setFaults({});
    clock.flow();
    const r = await applyQuick(p, server);
    expectExit(r, 0);
    expect(linesOf(r.stderr, /: the lost submit exists as [0-9a-f]{32} \(matched by its input\): following it$/)).toHaveLength(2);
    expect(linesOf(r.stderr, /^submitted /)).toHaveLength(2);
    expect(server.stats().submissions).toBe(4);
    await expectMoneySafe(p, server);
    expectVerifiedOutputs(p);
  });
});

describe("issue 9.4: a merge resolved with the other side's lockfile (a higher serial) is refused when it drops takes", () => {
  it("names the predictions it does not know and the way back; the lockfile with both sides' takes plans nothing", async () => {
    const server = await mockServer();
    const p = makeProject({ shots: 2 });
    expectExit(await applyQuick(p, server), 0);
    const common = readFileSync(p.lockFile, 'utf8'); // the commit both branches start from
    p.shots[1]!.prompt = 'shot two, our branch';
    p.writeSpec();
    expectExit(await applyQuick(p, server), 0);
    const ours = readFileSync(p.lockFile, 'utf8');
    const dropped = currentOf(readLock(p), 'shot-02')!.prediction_id!;
    // Their branch applied other changes from the same commit: the same lineage, a higher serial, not our take.
    const theirs = JSON.parse(common) as { serial: number };
    theirs.serial = (JSON.parse(ours) as { serial: number }).serial + 5;
    writeFileSync(p.lockFile, `${JSON.stringify(theirs, null, 2)}\n`); // `git checkout --theirs e2e.lock.json`
    const submitted = server.stats().submissions;

    for (const args of [
      ['plan', p.spec],
      ['apply', p.spec, ...QUICK],
    ]) {
      const r = await render(args, { cwd: p.dir, server });
      expectExit(r, 2);
      expect(r.stderr).toBe(
        `error: e2e.lock.json does not know 1 paid prediction the last apply here recorded: shot-02 take #2 (${dropped}); planning from it would pay for that shot again\n` +
          "hint: a merge or checkout kept one side's lockfile: merge both sides' takes (the copy the last apply here left is .render/e2e.last.lock.json), or, if dropping them is what you mean, move .render aside and run again\n",
      );
    }
    expect(server.stats().submissions).toBe(submitted);

    writeFileSync(p.lockFile, ours); // both sides' takes (here: ours holds all of them)
    expect((await planJson(p, server)).code).toBe(0);
    await expectMoneySafe(p, server);
  });
});

describe('issue 9.4: a lockfile restored from an older commit is refused, not planned from', () => {
  it("against .render/'s journal, and against the output folder's claim once .render/ is gone too: exit 2, the way back named, nothing submitted", async () => {
    const server = await mockServer();
    const p = makeProject({ shots: 3 });
    expectExit(await applyQuick(p, server), 0);
    const older = readFileSync(p.lockFile, 'utf8'); // what `git show HEAD~1:e2e.lock.json` would give back
    p.shots[0]!.prompt = 'shot one, reshot for the client';
    p.writeSpec();
    expectExit(await applyQuick(p, server), 0);
    const newer = readFileSync(p.lockFile, 'utf8');
    const serial = (text: string) => (JSON.parse(text) as { serial: number }).serial;
    expect(serial(newer)).toBeGreaterThan(serial(older));
    const submitted = server.stats().submissions;
    const videos = videoCensus(p.outputDir);

    // 1. `.render/` is there: its journal names the lockfile it was written against.
    writeFileSync(p.lockFile, older);
    for (const args of [
      ['plan', p.spec],
      ['status', p.spec],
      ['apply', p.spec, ...QUICK],
    ]) {
      const r = await render(args, { cwd: p.dir, server });
      expectExit(r, 2);
      expect(r.stderr).toBe(
        `error: e2e.lock.json is older (serial ${serial(older)}) than the state this machine last wrote (serial ${serial(newer)}): it was restored from an older commit or copied over; planning from it could pay again for shots it does not know\n` +
          'hint: restore the newer lockfile from git or from the copy the last apply left: `cp .render/e2e.last.lock.json e2e.lock.json`; if this lockfile is the one you mean to keep (a merge you checked), move .render/e2e.journal.ndjson aside and run again\n',
      );
    }
    expect(readFileSync(p.abs('.render/e2e.last.lock.json'), 'utf8')).toBe(newer);

    // 2. `.render/` is gone too (another clone, a `git clean -xdf`): the output folder's claim remembers the serial.
    rmSync(p.abs('.render'), { recursive: true, force: true });
    for (const args of [
      ['plan', p.spec],
      ['apply', p.spec, ...QUICK],
    ]) {
      const r = await render(args, { cwd: p.dir, server });
      expectExit(r, 2);
      expect(r.stderr).toBe(
        `error: e2e.lock.json is older (serial ${serial(older)}) than the outputs of the last apply in renders/e2e (serial ${serial(newer)}): it was restored from an older commit\n` +
          'hint: restore the newer lockfile from git (or from .render/ if it is still there); if this one is what you mean to keep (a merge you checked), remove renders/e2e/.render-campaign.json and run again\n',
      );
    }
    expect(readFileSync(p.lockFile, 'utf8')).toBe(older); // refused commands wrote nothing
    expect(server.stats().submissions).toBe(submitted);

    // The way back: the newer lockfile, and then nothing to do.
    writeFileSync(p.lockFile, newer);
    const { code, plan } = await planJson(p, server);
    expect(code).toBe(0);
    expect(Object.values(actions(plan))).toEqual(['unchanged', 'unchanged', 'unchanged']);
    expectExit(await applyQuick(p, server), 0);
    expect(server.stats().submissions).toBe(submitted);
    await expectMoneySafe(p, server);
    expectNoVideoLost(p, videos);
  });

  it('a lockfile of another lineage (made anew, or copied from another campaign of the same name) is refused; the refusal leaves no trace', async () => {
    const server = await mockServer();
    const p = makeProject({ shots: 2 });
    expectExit(await applyQuick(p, server), 0);
    const right = readFileSync(p.lockFile, 'utf8');
    // Another lockfile of "e2e" that knows only shot-01: planned from, shot-02 would be paid again.
    const lock = JSON.parse(right) as { lineage: string; serial: number; endpoints: Record<string, { shots: Record<string, unknown> }> };
    for (const e of Object.values(lock.endpoints)) delete e.shots['shot-02'];
    writeFileSync(p.lockFile, JSON.stringify({ ...lock, lineage: '00000000-0000-4000-8000-000000000000', serial: lock.serial + 5 }, null, 2));
    const r = await render(['apply', p.spec, ...QUICK], { cwd: p.dir, server });
    expectExit(r, 2);
    expect(r.stderr).toMatch(/^error: e2e\.lock\.json is not the lockfile \.render\/e2e\.journal\.ndjson was written against \(another lineage/);
    // Without .render/, the output folder's claim names the lineage its videos belong to.
    rmSync(p.abs('.render'), { recursive: true, force: true });
    const again = await render(['apply', p.spec, ...QUICK], { cwd: p.dir, server });
    expectExit(again, 2);
    expect(again.stderr).toMatch(/^error: the output folder renders\/e2e belongs to another lockfile of "e2e" \(lineage [0-9a-f]{8}, not 00000000\)/);
    // The refused apply changed nothing: run again, it is refused again (before, it had taken the folder over for
    // the wrong lockfile, and the second run paid for shot-02 again); with the right lockfile back, all is unchanged.
    expectExit(await render(['apply', p.spec, ...QUICK], { cwd: p.dir, server }), 2);
    expect(server.stats().submissions).toBe(2);
    expect(existsSync(p.abs('.render'))).toBe(false);
    writeFileSync(p.lockFile, right);
    const { code, plan } = await planJson(p, server);
    expect(code).toBe(0);
    expect(actions(plan)).toEqual({ 'shot-01': 'unchanged', 'shot-02': 'unchanged' });
    await expectMoneySafe(p, server);
  });
});

describe('issue 9.5: --max-cost holds for runs that resume earlier unknown intents', () => {
  it("an earlier lost submit is never sent again: this run's charges stay within --max-cost", async () => {
    const clock = manualClock();
    clock.flow();
    const server = await scriptedSubmits(['drop'], { clock, completeAfterMs: 200, listInputs: true });
    const p = makeProject({ shots: 4, concurrency: 2 });
    // shot-01: cut before the server saw it (never created). shot-02: created and charged, then the run is killed
    // before the answer. Both are "outcome unknown", counted as spent.
    expectExit(await applyQuick(p, server, ['--only', 'shot-01']), 1);
    clock.freeze();
    server.setFaults({ routes: ['submit'], slowRate: 1, slowMs: 1500 });
    const run = spawnRender(['apply', p.spec, ...QUICK, '--only', 'shot-02'], { cwd: p.dir, server });
    await whileRunning(run, () => server.stats().submissions === 1, 'the server to charge shot-02');
    expect((await run.kill()).signal).toBe('SIGKILL');
    server.setFaults({});
    clock.flow();

    // The plan resumes both for $0 and creates the other two: exactly --max-cost.
    const { plan } = await planJson(p, server, ['--max-cost', '2.52']);
    expect(actions(plan)).toEqual({ 'shot-01': 'resume', 'shot-02': 'resume', 'shot-03': 'create', 'shot-04': 'create' });
    expect(plan.totals).toMatchObject({ cost_cents: 252, spent_cents: 252 });
    // A cap below what the new shots cost is refused before anything is sent, resumes or not.
    const lists = server.stats().lists;
    const refused = await applyQuick(p, server, ['--max-cost', '2.51']);
    expectExit(refused, 3);
    expect(server.stats()).toMatchObject({ submissions: 1, lists, uploads: 2 });

    const chargedBefore = server.stats().chargesCents;
    const r = await applyQuick(p, server, ['--max-cost', '2.52']);
    expectExit(r, 1); // shot-01 stays outcome unknown
    expect(server.stats().chargesCents - chargedBefore, "this run's charges").toBeLessThanOrEqual(252);
    expect(server.stats().submissions).toBe(3);
    expect(r.stderr).toMatch(/^shot-02: the lost submit exists as [0-9a-f]{32} \(matched by its input\): following it$/m);
    expect(linesOf(r.stderr, /^submitted /).map((l) => l.split(' ')[1])).toEqual(expect.arrayContaining(['shot-03', 'shot-04']));
    expect(linesOf(r.stderr, /^submitted shot-01 /)).toEqual([]);
    // "spent this run" is what this run added: the two new shots; shot-02 was counted before.
    expect(r.stdout).toMatch(/^Done: 3 rendered, 0 failed, 1 unknown, 0 skipped in [\d.]+ s; spent \$2\.52 this run, \$5\.04 in all$/m);
    // The earlier run's unknown submit is still the user's to resolve: named with both commands, not "resume".
    expect(r.stdout).toMatch(/^ {2}unknown shot-01 \(take #1, \$1\.26 counted as spent\): `render adopt SPEC shot-01 PREDICTION_ID`/m);
    expect(r.stdout).not.toContain('again to resume');

    // Resolved by the user, the last shot costs its price once, still under a cap.
    expectExit(await render(['forget', p.spec, 'shot-01'], { cwd: p.dir, server }), 0);
    const before = server.stats().chargesCents;
    expectExit(await applyQuick(p, server, ['--max-cost', '1.26']), 0);
    expect(server.stats().chargesCents - before).toBe(126);
    await expectMoneySafe(p, server, { maxChargedCents: 4 * 126 });
    expectVerifiedOutputs(p);
  });
});

describe('issue 9.6: one apply per spec, also over a stale lock and with several started at once', () => {
  it("four applies started together over a dead run's lock file: exactly one runs, the others are refused, every shot is paid once", async () => {
    // The server's clock stands still until every refused run has ended: the one that runs cannot finish (and
    // free the lock for a latecomer) before, however the machine schedules the four.
    const clock = manualClock();
    const server = await mockServer({ clock, completeAfterMs: 200 });
    const p = makeProject({ shots: 3, concurrency: 3 });
    const dead = 4_194_000; // no process has this pid
    mkdirSync(p.abs('.render'));
    writeFileSync(p.lockFileFor(dead), JSON.stringify({ pid: dead, host: hostname(), started_at: '2026-01-01T00:00:00.000Z' }));
    const runs = Array.from({ length: 4 }, () => spawnRender(['apply', p.spec, ...QUICK], { cwd: p.dir, server }));
    const ended: RunResult[] = [];
    for (const run of runs) void run.done.then((r) => ended.push(r));
    await waitUntil(() => ended.length >= 3, 'three of the four applies to end', 60_000);
    clock.flow();
    const results = await Promise.all(runs.map((r) => r.done));

    const ran = results.filter((r) => /^applying: /m.test(r.stderr));
    expect(ran, results.map((r) => `exit ${r.code}: ${r.stderr}`).join('\n---\n')).toHaveLength(1);
    expectExit(ran[0]!, 0);
    const refused = results.filter((r) => r !== ran[0]);
    for (const r of refused) {
      expectExit(r, 1);
      expect(r.stderr).toMatch(/^error: another render apply is running on this spec \(pid \d+ on /);
      expect(r.stdout).toBe('');
    }
    expect(p.lockFiles()).toEqual([]);
    expect(server.stats()).toMatchObject({ submissions: 3 });
    await expectMoneySafe(p, server);
    expectVerifiedOutputs(p);
  });
});

describe('issue 9.7: one server is one endpoint, and one budget covers every real endpoint', () => {
  it('applied through http://localhost:PORT, planned through any loopback address (0.0.0.0, [::ffff:127.0.0.1], ...): unchanged, its spend counted', async () => {
    const server = await mockServer();
    const p = makeProject({ shots: 2 });
    const viaLocalhost = { WAVESPEED_BASE_URL: `http://localhost:${server.port}` };
    expectExit(await applyQuick(p, server, [], viaLocalhost), 0);
    expect(Object.keys(readLock(p).endpoints)).toEqual([`http://127.0.0.1:${server.port}`]);
    const spellings = ['127.0.0.1', 'LOCALHOST', '[::1]', '0.0.0.0', '[::ffff:127.0.0.1]', '127.0.0.2'];
    for (const base of spellings.map((host) => `http://${host}:${server.port}/`)) {
      const r = await render(['plan', p.spec, '--json'], { cwd: p.dir, server, env: { WAVESPEED_BASE_URL: base } });
      expectExit(r, 0);
      const plan = JSON.parse(r.stdout) as { shots: { action: string }[]; totals: { spent_cents: number; cost_cents: number } };
      expect(
        plan.shots.map((s) => s.action),
        base,
      ).toEqual(['unchanged', 'unchanged']);
      expect(plan.totals).toMatchObject({ spent_cents: 252, cost_cents: 0 });
    }
    const again = await applyQuick(p, server, [], { WAVESPEED_BASE_URL: `http://127.0.0.1:${server.port}/` });
    expectExit(again, 0);
    expect(again.stderr).toContain('Nothing to do');
    expect(server.stats()).toMatchObject({ submissions: 2 });
    await expectMoneySafe(p, server);
  });

  it('two different servers: what each was paid adds up against one budget.max_usd (exit 3, nothing submitted)', async () => {
    const first = await mockServer();
    const second = await mockServer();
    const p = makeProject({ shots: 4, budgetUsd: 6.3 }); // 4 x $1.26 = $5.04 fits once, not twice; $6.30 is five shots
    expectExit(await applyQuick(p, first), 0);
    const { code, plan } = await planJson(p, second);
    expect(code).toBe(3);
    for (const s of plan.shots) expect(s).toMatchObject({ action: 'create', reason: `rendered only on ${first.url}, never on ${second.url}` });
    expect(plan.totals).toMatchObject({ spent_cents: 504, cost_cents: 504, after_apply_cents: 1008, budget_cents: 630 });
    const r = await applyQuick(p, second);
    expectExit(r, 3);
    expect(r.stderr).toContain('error: the plan is over budget by $3.78 ($5.04 spent before + $5.04 this apply, budget $6.30): nothing was submitted');
    expect(second.stats()).toMatchObject({ submissions: 0, uploads: 0, chargesCents: 0 });
    // What fits still runs, and then the whole budget is spent across both.
    expectExit(await applyQuick(p, second, ['--only', 'shot-01']), 0);
    const { code: full } = await planJson(p, second, ['--only', 'shot-02']);
    expect(full).toBe(3);
    expect((await planJson(p, second, ['--only', 'shot-02'])).plan.totals).toMatchObject({ spent_cents: 630 });
    await expectMoneySafe(p, first);
    await expectMoneySafe(p, second);
  });
});

describe('a prediction the server no longer knows', () => {
  it('is still counted as paid, never as a refund: the next plan offers regenerate, with its cost', async () => {
    // Two submits are charged and answered, then the run is killed; the server forgets them (deleted after 7
    // days; here a restart at the same address).
    const clock = manualClock();
    const first = await mockServer({ clock, completeAfterMs: 200 });
    const p = makeProject({ shots: 2, concurrency: 2 });
    const run = spawnRender(['apply', p.spec, ...QUICK], { cwd: p.dir, server: first });
    await run.waitForStderr(/^submitted /, 2);
    expect((await run.kill()).signal).toBe('SIGKILL');
    expect(first.stats()).toMatchObject({ chargesCents: 252, refundsCents: 0 });
    const port = first.port;
    await first.close();
    const server = await mockServer({ port });

    const r = await applyQuick(p, server);
    expectExit(r, 1);
    expect(linesOf(r.stderr, / FAILED /)).toEqual([
      expect.stringMatching(
        /^\[1\/2\] FAILED shot-0[12]: prediction [0-9a-f]{32} is gone from the server \(paid and recorded; `render plan` shows it as regenerate, with its cost\): .*404/,
      ),
      expect.stringMatching(/^\[2\/2\] FAILED shot-0[12]: prediction [0-9a-f]{32} is gone from the server/),
    ]);
    // What the first server kept is still what the lockfile counts: $2.52, never a refund.
    expect(r.stdout).toMatch(/; spent \$0\.00 this run, \$2\.52 in all$/m);
    const { plan } = await planJson(p, server);
    expect(plan.totals).toMatchObject({ spent_cents: 252, cost_cents: 252 });
    for (const s of plan.shots) {
      expect(s).toMatchObject({
        action: 'regenerate',
        cost_cents: 126,
        reason: 'output deleted on the server before it was downloaded: rendering it again costs a new prediction',
      });
    }
    expect(server.stats().submissions).toBe(0);
  });
});
