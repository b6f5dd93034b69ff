import { existsSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  applyUntilDone,
  ensureBuilt,
  expectExit,
  expectVerifiedOutputs,
  FAST,
  makeProject,
  mockServer,
  render,
  spawnRender,
  startRender,
  waitUntil,
} from '../apply/helpers.js';
import { manualClock } from '../helpers/manual-clock.js';
import { postgresSkipReason, usePostgres, type TestPostgres } from '../helpers/postgres.js';

/**
 * Working as a team (docs/ARCHITECTURE.md "Team state"): one campaign kept in one PostgreSQL database, applied from
 * several working folders (each a clone: its own spec, images, lockfile and outputs), as teammates and CI runners do.
 * The database is on the run's real server (test/helpers/postgres.ts); the WaveSpeed API is the mock, whose stats say what was paid.
 */

let pg: TestPostgres;

describe.skipIf(postgresSkipReason !== undefined)(`working as a team${postgresSkipReason ? ` (skipped: ${postgresSkipReason})` : ''}`, () => {
  beforeAll(async () => {
    ensureBuilt();
    pg = await usePostgres();
  }, 120_000);
  afterAll(async () => {
    await pg?.close();
  });

  it('a second apply of the campaign, from another folder, is refused while the first runs, naming who holds it', async () => {
    const env = { RENDER_STATE_URL: await pg.freshDatabase() };
    const clock = manualClock(); // stands still: the first apply is still running when the second starts
    const mock = await mockServer({ clock, completeAfterMs: 200 });
    const a = makeProject({ shots: 2 });
    const b = makeProject({ shots: 2 });
    const first = startRender(['apply', a.spec, ...FAST], { cwd: a.dir, server: mock, env });
    await waitUntil(() => mock.stats().submissions >= 2, 'the first apply to submit both shots');
    const second = await render(['apply', b.spec, ...FAST], { cwd: b.dir, server: mock, env });
    expectExit(second, 1);
    // Both run in this process: the holder is told from the refused run by its own run row (its start, to the ms).
    const [holder] = await pg.sql<{ pid: number; host: string; started_at: Date }>(
      env.RENDER_STATE_URL,
      "SELECT pid, host, started_at FROM render_runs WHERE command = 'render apply' AND ended_at IS NULL",
    );
    expect(holder).toMatchObject({ pid: process.pid, host: hostname() });
    expect(second.stderr).toMatch(
      new RegExp(
        `error: the campaign "e2e" is locked in the state database postgres://render@127\\.0\\.0\\.1:\\d+/\\w+: \`render apply\` as pid ${process.pid} on ${hostname()}, since ${holder!.started_at.toISOString().replace(/\./g, '\\.')} holds it`,
      ),
    );
    expect(mock.stats().submissions, 'the refused apply submitted nothing').toBe(2);
    clock.flow();
    expectExit(await first.done, 0);
  });

  it("a teammate's apply in another folder downloads every completed video still on the server, paying nothing", async () => {
    const env = { RENDER_STATE_URL: await pg.freshDatabase() };
    const mock = await mockServer();
    const a = makeProject({ shots: 3 });
    expectExit(await render(['apply', a.spec, ...FAST], { cwd: a.dir, server: mock, env }), 0);
    const b = makeProject({ shots: 3 });
    const r = await render(['apply', b.spec, ...FAST], { cwd: b.dir, server: mock, env });
    expectExit(r, 0);
    expect(mock.stats().submissions).toBe(3);
    expect(mock.stats().duplicateSubmissions).toBe(0);
    expectVerifiedOutputs(b);
  });

  it("a teammate's ledger and doctor, in a folder with no lockfile, read the campaign's takes from the database", async () => {
    const env = { RENDER_STATE_URL: await pg.freshDatabase() };
    const mock = await mockServer();
    const a = makeProject({ shots: 2 });
    expectExit(await render(['apply', a.spec, ...FAST], { cwd: a.dir, server: mock, env }), 0);
    const b = makeProject({ shots: 2 });
    const ledger = await render(['ledger', b.spec], { cwd: b.dir, server: mock, env });
    expectExit(ledger, 0);
    expect(ledger.stdout).toContain('  charged               $2.52');
    expect(ledger.stdout).toContain('  difference            $0.00   the bill matches the lockfile');
    expect(ledger.stdout).not.toContain('Charges no shot owns');
    const doctor = await render(['doctor', b.spec, '--json'], { cwd: b.dir, server: mock, env });
    const balance = (JSON.parse(doctor.stdout) as { checks: { check: string; detail: string }[] }).checks.find((c) => c.check === 'balance');
    expect(balance?.detail, 'the videos come back for $0: nothing to pay for again').toMatch(/; the plan submits nothing$/);
    expect(existsSync(b.lockFile), 'commands that only read write no lockfile').toBe(false);
  });

  it("a pull request's plan needs only read access: a role that may only SELECT plans the campaign", async () => {
    const url = await pg.freshDatabase();
    const mock = await mockServer();
    const a = makeProject({ shots: 2 });
    expectExit(await render(['apply', a.spec, ...FAST], { cwd: a.dir, server: mock, env: { RENDER_STATE_URL: url } }), 0);
    await pg.sql(url, `DO $$ BEGIN CREATE ROLE reader LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$`);
    await pg.sql(url, 'GRANT SELECT ON ALL TABLES IN SCHEMA public TO reader');
    const b = makeProject({ shots: 3 });
    const r = await render(['plan', b.spec, '--json'], { cwd: b.dir, server: mock, env: { RENDER_STATE_URL: url.replace('//render@', '//reader@') } });
    expectExit(r, 0);
    const plan = JSON.parse(r.stdout) as { shots: { action: string }[]; totals: { to_submit: number; spent_usd: number } };
    expect(plan.shots.map((s) => s.action)).toEqual(['restore', 'restore', 'create']);
    expect(plan.totals.to_submit).toBe(1);
    expect(plan.totals.spent_usd).toBe(2.52);
  });

  it('kill -9 of an apply, then its folder deleted: an apply from another folder finishes the campaign, nothing submitted twice', async () => {
    const env = { RENDER_STATE_URL: await pg.freshDatabase() };
    const mock = await mockServer({ completeAfterMs: 800 }); // the docs' list: no inputs, so a lost submit may need adopt / forget
    const a = makeProject({ shots: 6, concurrency: 3 });
    const run = spawnRender(['apply', a.spec, ...FAST], { cwd: a.dir, server: mock, env });
    await waitUntil(() => mock.stats().submissions >= 4, 'four submits');
    const killed = await run.kill();
    expect(killed.signal).toBe('SIGKILL');
    rmSync(a.dir, { recursive: true, force: true }); // the runner and its disk are gone
    const b = makeProject({ shots: 6, concurrency: 3 });
    await applyUntilDone(b, mock, { env });
    const s = mock.stats();
    expect(s.duplicateSubmissions).toBe(0);
    expect(s.submissions).toBe(6);
    expectVerifiedOutputs(b);
  });

  it('a video only other folders downloaded, after the server deleted its copy, is named with where it is, the latest first, and never paid for again', async () => {
    const url = await pg.freshDatabase();
    const env = { RENDER_STATE_URL: url };
    const mock = await mockServer();
    const a = makeProject({ shots: 2 });
    expectExit(await render(['apply', a.spec, ...FAST], { cwd: a.dir, server: mock, env }), 0);
    const b = makeProject({ shots: 2 });
    expectExit(await render(['apply', b.spec, ...FAST], { cwd: b.dir, server: mock, env }), 0); // downloads them too
    // Eight days later: the server has deleted its copies (the snapshot holds every record of those applies).
    await pg.sql(
      url,
      `UPDATE render_campaigns SET snapshot = regexp_replace(snapshot, '"completed_at": "[^"]+"', '"completed_at": "2020-01-01T00:00:00.000Z"', 'g')`,
    );
    const c = makeProject({ shots: 2 });
    const plan = await render(['plan', c.spec, '--json'], { cwd: c.dir, server: mock, env });
    expectExit(plan, 0);
    const shots = (JSON.parse(plan.stdout) as { shots: { id: string; action: string; reason: string; cost_usd: number }[] }).shots;
    for (const s of shots) {
      expect(s.action).toBe('blocked');
      expect(s.cost_usd).toBe(0);
      expect(s.reason).toBe(
        `take #1's video exists only on ${hostname()}:${b.dir} or ${hostname()}:${a.dir} (downloaded there; the server deleted its copy after 7 days): copy renders/e2e/${s.id}.mp4 from there to keep it for $0, or bump the shot's take: to render it again`,
      );
    }
    const applied = await render(['apply', c.spec, ...FAST], { cwd: c.dir, server: mock, env });
    expectExit(applied, 5); // blocked shots (docs/SPEC.md "Exit codes")
    expect(applied.stderr).toContain(
      'Nothing to do ($0.00): 2 shots whose video only another machine has (copy it here, see the plan), 0 rendered and intact.',
    );
    expect(mock.stats().submissions).toBe(2);
  });
});
