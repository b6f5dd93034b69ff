import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { readLockfileOnDisk, serializeLockfile } from '../../src/lock/file.js';
import { emptyLockfile, type LockTake } from '../../src/lock/schema.js';
import { readCurrentLock } from '../../src/lock/store.js';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  applyUntilDone,
  apply,
  ensureBuilt,
  expectExit,
  expectVerifiedOutputs,
  FAST,
  keptCents,
  linesOf,
  makeProject,
  mockServer,
  planJson,
  readLock,
  render,
  sha256File,
  spawnRender,
  waitUntil,
  type Project,
  type RunResult,
  type Running,
  sleep,
  currentOf,
  shotsOf,
  takesOf,
} from './helpers.js';
import { createRng, type MockServer } from '../../src/mock/index.js';
import { manualClock } from '../helpers/manual-clock.js';
import { tailOf } from '../helpers/files.js';

// Runs that are SIGKILLed or sent Ctrl-C are the built binary; everything before and after them runs in-process.
beforeAll(ensureBuilt, 180_000);

type KillPoint = { name: string; when: (run: Running) => Promise<void> };

/** What must hold after any SIGKILL: the lockfile is valid, and it never counts less than the server kept. */
async function checkAfterKill(p: Project, server: MockServer, killed: RunResult, point: string): Promise<void> {
  expect(killed.signal, `${point}: the run was killed, not finished\n${killed.stderr}`).toBe('SIGKILL');
  readLock(p, true);
  const { code, plan } = await planJson(p, server);
  expect(code, `${point}: plan after the kill`).toBe(0);
  // Rule 4 across a crash: the lockfile (with the journal replayed) counts every cent the server kept, and
  // more only for intents the server never saw; so the budget guard can never be fooled by a kill.
  expect(plan.totals.spent_cents, `${point}: spent per lockfile vs kept by the server`).toBeGreaterThanOrEqual(keptCents(server));
  for (const s of plan.shots) expect(['create', 'resume', 'restore', 'unchanged'], `${point}: ${s.id} ${s.reason}`).toContain(s.action);
  // status reads the same state (lockfile with the journal replayed) and agrees with the plan.
  const status = await render(['status', p.spec, '--json'], { cwd: p.dir, server });
  expect(status.code, `${point}: status after the kill\n${status.stderr}`).toBe(0);
  const shots = (JSON.parse(status.stdout) as { shots: { id: string; status: string }[] }).shots;
  for (const s of plan.shots) {
    const st = shots.find((x) => x.id === s.id)!.status;
    if (s.action === 'create') expect(st, `${point}: ${s.id}`).toBe('not_rendered');
    else expect(['submitting', 'unknown', 'submitted', 'processing', 'completed'], `${point}: ${s.id}`).toContain(st);
  }
}

describe('SIGKILL at any moment, then apply again', () => {
  it('pays once per shot and ends with every output verified, whatever point the runs were killed at', async () => {
    // Submits answer late half the time (created and charged first), so kills land between the charge and the
    // recorded id: those intents must be settled by listing, never paid again.
    const server = await mockServer({
      completeAfterMs: 500,
      processingAfterMs: 50,
      seed: 7,
      faults: { routes: ['submit'], latencyMs: [10, 60], slowRate: 0.5, slowMs: 250 },
    });
    // The budget is exactly the plan: an intent counted twice, or a kill that fooled the guard, would stop a run.
    const p = makeProject({ shots: 14, concurrency: 3, budgetUsd: 17.64 });
    const random = createRng(20240607); // seeded, so a failing kill pattern can be replayed
    const points: KillPoint[] = [
      { name: 'right after the first submit is recorded', when: (r) => r.waitForStderr(/^submitted /) },
      { name: 'after a shot rendered, before its download', when: (r) => r.waitForStderr(/^rendered /) },
      { name: 'after two more shots are done', when: (r) => r.waitForStderr(/^\[\d+\/\d+\] done /, 2) },
      ...[0, 1, 2, 3].map((i): KillPoint => {
        const ms = 350 + Math.floor(random() * 900);
        return { name: `random #${i + 1}: ${ms} ms after start`, when: () => sleep(ms) };
      }),
    ];

    const killedAt: string[] = [];
    for (const point of points) {
      const run = spawnRender(['apply', p.spec, ...FAST], { cwd: p.dir, server });
      const outcome = await Promise.race([point.when(run).then(() => 'reached' as const), run.done.then(() => 'finished' as const)]);
      if (outcome === 'finished') break; // everything done before this point: nothing left to kill
      const killed = await run.kill();
      if (killed.signal !== 'SIGKILL') break; // it finished in the same moment
      killedAt.push(point.name);
      if (p.lockFiles().length === 0) {
        // Killed on its way out, after it released its lock (the summary comes after): its work was done.
        await checkAfterKill(p, server, killed, `${point.name} (after the release)`);
        const { plan } = await planJson(p, server);
        expect(
          plan.shots.map((s) => s.action).filter((a) => a !== 'unchanged'),
          `${point.name}: killed after the release`,
        ).toEqual([]);
        break;
      }
      // The dead run's process lock is left behind (with the one before it, when the kill fell inside the taking of
      // the lock: between writing its own file and removing the dead holder's; the CLI starts fast enough for that)...
      expect(p.lockFiles().length).toBeGreaterThanOrEqual(1);
      expect(p.lockFiles().length).toBeLessThanOrEqual(2);
      await checkAfterKill(p, server, killed, point.name);
    }
    // ...and never blocks the next run.
    expect(killedAt.length, `kill points reached: ${killedAt.join('; ')}`).toBeGreaterThanOrEqual(4);
    const runs = await applyUntilDone(p, server);
    for (const r of runs) expect(r.stderr).not.toMatch(/another render apply is running/);

    const stats = server.stats();
    expect(stats.duplicateSubmissions).toBe(0);
    expect(stats.submissions).toBe(14);
    expect(stats.predictions).toMatchObject({ completed: 14, failed: 0, inFlight: 0 });
    const lock = expectVerifiedOutputs(p);
    // One take per shot: the settled intents adopted their predictions rather than adding takes.
    // (Intents a kill left before their POST reached the server were forgotten by the user: no prediction, no cost.)
    for (const id of p.ids())
      expect(
        takesOf(lock, id).filter((t) => t.status !== 'forgotten'),
        id,
      ).toHaveLength(1);
    expect(new Set(p.ids().map((id) => currentOf(lock, id)!.prediction_id)).size).toBe(14);
    expect(keptCents(server)).toBe(14 * 126);

    const again = await apply(p, server);
    expectExit(again, 0);
    expect(again.stderr).toContain('Nothing to do');
    expect(server.stats().submissions).toBe(14);
  }, 120_000);

  it('a kill while submits are held by the server is settled by listing: the charged ones are adopted', async () => {
    // Every submit is created and charged, then answered 1.5 s later on the server's clock, which stands still
    // until the run is killed: kill while all six are charged and none answered, however slow the machine.
    const clock = manualClock();
    const server = await mockServer({ clock, listInputs: true, completeAfterMs: 200, faults: { routes: ['submit'], slowRate: 1, slowMs: 1500 } });
    const p = makeProject({ shots: 6, concurrency: 6 });
    const run = spawnRender(['apply', p.spec, ...FAST], { cwd: p.dir, server });
    await waitUntil(() => server.stats().submissions === 6, 'the server to charge all six submits');
    const killed = await run.kill();
    expect(linesOf(killed.stderr, /^submitted /)).toEqual([]);
    await checkAfterKill(p, server, killed, 'all six submits pending');
    const { plan } = await planJson(p, server);
    for (const s of plan.shots) {
      expect(s).toMatchObject({ action: 'resume', cost_cents: 0 });
      expect(s.reason).toMatch(/^submit outcome unknown since .*: apply looks for it in the server's list and never pays again blindly/);
    }

    server.setFaults({});
    clock.flow();
    const r = await apply(p, server);
    expectExit(r, 0);
    expect(linesOf(r.stderr, /: the lost submit exists as [0-9a-f]{32} \(matched by its input\): following it$/)).toHaveLength(6);
    expect(linesOf(r.stderr, /^submitted /)).toEqual([]);
    expect(server.stats()).toMatchObject({ submissions: 6, duplicateSubmissions: 0 });
    expectVerifiedOutputs(p);
  });
});

describe('SIGKILL while submits go out, with .render/ lost too (docs/ARCHITECTURE.md "Rule 8", "Known gaps")', () => {
  it("the paid submits are already in a large committed lockfile's wal, with no full rewrite, and the next apply pays nothing twice", async () => {
    // The server's clock stands still: no submitted shot can finish before the kill.
    const clock = manualClock();
    const server = await mockServer({ clock, completeAfterMs: 700 });
    const p = makeProject({ shots: 4, concurrency: 4 });
    // A large campaign's lockfile (3 MB of earlier uploads): its full rewrite waits 6 s, the wal 500 ms.
    const big = emptyLockfile(p.name, 'spec.yaml', 'lineage-of-a-large-campaign');
    const uploads: Record<string, { url: string; uploaded_at: string; bytes: number }> = {};
    for (let i = 0; i < 15_000; i++)
      uploads[String(i).padStart(64, '0')] = { url: `https://uploads.example/${i}.png`, uploaded_at: '2026-11-01T00:00:00Z', bytes: 1000 };
    big.endpoints[server.url] = { shots: {}, uploads };
    writeFileSync(p.lockFile, serializeLockfile(big));
    const { ino } = statSync(p.lockFile);
    const run = spawnRender(['apply', p.spec, ...FAST], { cwd: p.dir, server });
    await run.waitForStderr(/^submitted /, 4);
    await waitUntil(() => tailOf(p.lockFile, 16_384).split('"t":"submitted"').length === 5, 'the four prediction ids in the lockfile');
    const killed = await run.kill();
    expect(killed.signal).toBe('SIGKILL');
    expect(statSync(p.lockFile).ino, 'the lockfile was appended to, not rewritten').toBe(ino);
    rmSync(p.abs('.render'), { recursive: true, force: true });
    const committed = readLockfileOnDisk(p.lockFile, p.name);
    const ids = committed?.version === 2 ? Object.values(shotsOf(committed.lock)).map((s) => s.takes[0]?.prediction_id) : [];
    expect(ids.filter(Boolean)).toHaveLength(4);

    clock.flow();
    expectExit(await apply(p, server), 0);
    expect(server.stats()).toMatchObject({ submissions: 4, duplicateSubmissions: 0 });
    expectVerifiedOutputs(p);
  }, 120_000);
});

describe('SIGTERM (a cancelled CI job, `timeout`) and SIGHUP (a closed terminal)', () => {
  for (const signal of ['SIGTERM', 'SIGHUP'] as const) {
    it(`${signal}: the run stops at once and writes what it recorded into the lockfile, so losing .render/ next pays nothing twice`, async () => {
      // The server's clock stands still: the submitted shots cannot finish before the signal lands.
      const clock = manualClock();
      const server = await mockServer({ clock, completeAfterMs: 700 });
      const p = makeProject({ shots: 4, concurrency: 2 });
      const run = spawnRender(['apply', p.spec, ...FAST], { cwd: p.dir, server });
      await run.waitForStderr(/^submitted /, 2);
      run.child.kill(signal);
      const r = await run.done;
      expect(r.code).toBe(signal === 'SIGTERM' ? 143 : 129);
      // The committed lockfile alone knows every prediction the server made (a CI checkout keeps nothing else).
      const ids = Object.values(readLock(p).endpoints).flatMap((e) => Object.values(e.shots).flatMap((s) => s.takes.map((t) => t.prediction_id)));
      const made = server.stats().submissions;
      expect(made).toBeGreaterThanOrEqual(2);
      expect(ids.filter(Boolean)).toHaveLength(made);
      rmSync(p.abs('.render'), { recursive: true, force: true });

      clock.flow();
      expectExit(await apply(p, server), 0);
      expect(server.stats()).toMatchObject({ submissions: 4, duplicateSubmissions: 0 });
      expectVerifiedOutputs(p);
    });
  }
});

describe('Ctrl-C', () => {
  it('once: no new submits; what is in flight finishes and is recorded (exit 1); twice: exit at once; a rerun completes', async () => {
    // The server's clock stands still until the run has taken the first Ctrl-C: no shot can end and free a slot
    // for a third submit before it lands, however long the signal takes.
    const clock = manualClock();
    const server = await mockServer({ clock, completeAfterMs: 700 });
    const p = makeProject({ shots: 8, concurrency: 2 });
    const run = spawnRender(['apply', p.spec, ...FAST], { cwd: p.dir, server });
    await run.waitForStderr(/^submitted /);
    run.child.kill('SIGINT');
    await run.waitForStderr(/^stopping: /);
    clock.flow();
    const r = await run.done;
    expectExit(r, 1);
    expect(r.stderr).toContain('stopping: no new submits; in-flight shots finish and are recorded (Ctrl-C again to exit now)');
    const submitted = linesOf(r.stderr, /^submitted /).map((l) => l.split(' ')[1]!);
    expect(submitted.length).toBeGreaterThanOrEqual(1);
    expect(submitted.length).toBeLessThanOrEqual(2);
    expect(server.stats().submissions).toBe(submitted.length);
    // Everything paid for is rendered and downloaded; the rest was skipped, not started.
    expectVerifiedOutputs(p, submitted);
    const skipped = linesOf(r.stderr, / skipped shot-\d\d: interrupted: no new submits$/);
    expect(skipped).toHaveLength(8 - submitted.length);
    expect(r.stdout).toMatch(new RegExp(`^Interrupted: ${submitted.length} rendered, 0 failed, ${8 - submitted.length} skipped`, 'm'));
    expect(Object.keys(shotsOf(readLock(p))).sort()).toEqual([...submitted].sort());

    // Twice: the second Ctrl-C exits at once (130); what was submitted is durable and resumes. The clock stands
    // still again, so the second Ctrl-C always lands while a shot is in flight.
    clock.freeze();
    const hurried = spawnRender(['apply', p.spec, ...FAST], { cwd: p.dir, server });
    await hurried.waitForStderr(/^submitted /);
    hurried.child.kill('SIGINT');
    await hurried.waitForStderr(/^stopping: /);
    hurried.child.kill('SIGINT');
    const h = await hurried.done;
    expect(h.code, h.stderr).toBe(130);
    readLock(p);

    clock.flow();
    // A submit the second Ctrl-C cut may have reached the server or not: the rerun settles it from the server's
    // list when it did; when it did not, it stays outcome unknown and the user forgets it (applyUntilDone).
    await applyUntilDone(p, server);
    expectVerifiedOutputs(p);
    expect(server.stats()).toMatchObject({ submissions: 8, duplicateSubmissions: 0 });
  });
});

describe('kill points inside one step, recreated on disk', () => {
  it('killed between compaction writing the lockfile and emptying the journal: nothing is counted twice', async () => {
    // Three shots end while the other three are held by the server's clock: the kill comes with work recorded
    // and work in flight, however slow the machine. The run writes the lockfile within half a second of a paid
    // record (group commit, docs/ARCHITECTURE.md "State"): the kill must land before that for the journal to
    // still hold the last submits. On a loaded machine it can come later; then the scenario is set up again.
    let server: MockServer | undefined;
    let p: Project | undefined;
    let journal = '';
    for (let attempt = 1; attempt <= 3 && !journal.includes('"t":"submitted"'); attempt++) {
      const clock = manualClock();
      server = await mockServer({ clock, completeAfterMs: 500 });
      p = makeProject({ shots: 6, concurrency: 3 });
      const run = spawnRender(['apply', p.spec, ...FAST], { cwd: p.dir, server });
      await run.waitForStderr(/^submitted /, 3);
      clock.advance(500);
      await run.waitForStderr(/^\[\d\/6\] done /, 3);
      await run.waitForStderr(/^submitted /, 6);
      await run.kill();
      clock.flow();
      journal = readFileSync(p.journal, 'utf8');
    }
    if (!server || !p) throw new Error('unreachable: the loop runs at least once');
    // The run's records are in the journal. A compaction that got as far as renaming the new lockfile into place
    // (journal replayed into it) but was killed before truncating the journal leaves both on disk.
    expect(journal).toContain('"t":"submitted"');
    writeFileSync(p.lockFile, serializeLockfile(readCurrentLock(p.spec, p.name)));
    expect(readFileSync(p.journal, 'utf8')).toBe(journal);

    const replayed = readCurrentLock(p.spec, p.name);
    for (const [id, shot] of Object.entries(shotsOf(replayed))) expect(shot.takes, id).toHaveLength(1);
    const { plan } = await planJson(p, server);
    expect(plan.totals.spent_cents).toBe(Object.keys(shotsOf(replayed)).length * 126);

    const r = await apply(p, server);
    expectExit(r, 0);
    const lock = expectVerifiedOutputs(p);
    for (const id of p.ids()) expect(takesOf(lock, id), id).toHaveLength(1);
    expect(server.stats()).toMatchObject({ submissions: 6, duplicateSubmissions: 0 });
    const { plan: after } = await planJson(p, server);
    expect(after.totals.spent_cents).toBe(keptCents(server));
  });

  it('killed after an earlier take was moved to .takes/ but before the move was recorded: the next run records it', async () => {
    const server = await mockServer();
    const p = makeProject({ shots: 2 });
    expectExit(await apply(p, server), 0);
    const a = currentOf(readLock(p), 'shot-01')!;
    p.shots[0]!.prompt = 'the first shot, reshot';
    p.writeSpec();
    expectExit(await apply(p, server), 0);
    const lock = readLock(p);
    const [takeA, b] = takesOf(lock, 'shot-01') as [LockTake, LockTake];
    const aside = `renders/e2e/.takes/shot-01.take-1-${a.prediction_id!.slice(0, 12)}.mp4`;
    expect(takeA.outputs[0]!.path).toBe(aside);

    // What such a kill leaves: A's file already at `aside`, the journal without the move (A still claims the
    // name) and without B's download (B completed, its file not in place yet).
    takeA.outputs[0]!.path = a.outputs[0]!.path;
    b.remote_outputs = b.outputs.map((o) => o.url);
    b.outputs = [];
    writeFileSync(p.lockFile, serializeLockfile(lock));
    rmSync(p.output('shot-01'));

    const { plan } = await planJson(p, server);
    expect(plan.shots.find((s) => s.id === 'shot-01')).toMatchObject({ action: 'restore', cost_cents: 0 });
    const r = await apply(p, server);
    expectExit(r, 0);
    expect(server.stats()).toMatchObject({ submissions: 3, duplicateSubmissions: 0 });
    const after = expectVerifiedOutputs(p);
    // A's file is recorded where it is, and no longer claims the name B's file now has.
    expect(takesOf(after, 'shot-01')[0]!.outputs).toEqual([{ ...a.outputs[0]!, path: aside }]);
    expect(sha256File(p.abs(aside))).toBe(a.outputs[0]!.sha256);
    const status = await render(['status', p.spec], { cwd: p.dir, server });
    expect(status.stdout).toMatch(/^\s+shot-01\s+unchanged\s+#2 of 2 completed\s+3s\s+\$1\.26\s+intact\s/m);
  });
});
