import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serializeLockfile } from '../../src/lock/file.js';
import { emptyLockfile, type Lockfile } from '../../src/lock/schema.js';
import { apply, expectExit, FAST, makeProject, mockServer, type Project, render, startRender, waitUntil } from '../apply/helpers.js';
import { lockShot, lockTake, REAL } from '../helpers/lock.js';
import { manualClock } from '../helpers/manual-clock.js';
import { postgresSkipReason, usePostgres, type TestPostgres } from '../helpers/postgres.js';

/**
 * The money rules of the files hold with the state database too (docs/ARCHITECTURE.md "Team state"): its records are
 * checked as the journal's are, a lockfile beside the spec that is not the database's snapshot is never planned
 * from, and the process lock of a working folder still keeps an apply without the database out while one with it
 * runs. Against the run's PostgreSQL server (test/helpers/postgres.ts), a database per test; the WaveSpeed API is the mock.
 */

let pg: TestPostgres;

describe.skipIf(postgresSkipReason !== undefined)(
  `the state database keeps the money rules${postgresSkipReason ? ` (skipped: ${postgresSkipReason})` : ''}`,
  () => {
    beforeAll(async () => {
      pg = await usePostgres();
    }, 120_000);
    afterAll(async () => {
      await pg?.close();
    });

    /** A campaign applied once with its state in a fresh database. */
    async function appliedInDb(shots = 1) {
      const url = await pg.freshDatabase();
      const env = { RENDER_STATE_URL: url };
      const mock = await mockServer();
      const p = makeProject({ shots });
      expectExit(await apply(p, mock, [], p.spec, env), 0);
      return { url, env, mock, p };
    }

    const lockOf = (p: Project): Lockfile => JSON.parse(readFileSync(p.lockFile, 'utf8')) as Lockfile;

    describe("the database's records", () => {
      it('a record that leaves the state invalid is refused, naming it, and nothing is submitted', async () => {
        const { url, env, mock, p } = await appliedInDb();
        // An intent without its cost: replayed blindly, "spent" would be NaN, and NaN passes every budget check.
        const rec = { t: 'intent', at: new Date().toISOString(), endpoint: REAL, shot: 'shot-01', take: { n: 2 } };
        await pg.sql(url, "INSERT INTO render_records (campaign, kind, rec) VALUES ('e2e', 'intent', $1)", [JSON.stringify(rec)]);
        p.shots[0]!.prompt = 'an edited prompt, so the apply would submit';
        p.writeSpec();
        const r = await render(['apply', p.spec, ...FAST], { cwd: p.dir, server: mock, env });
        expectExit(r, 1);
        expect(r.stderr).toMatch(
          /error: the state database postgres:\/\/render@127\.0\.0\.1:\d+\/\w+ holds a record render will not apply: record 1 after snapshot serial \d+ its "intent" record leaves endpoints/,
        );
        expect(r.stderr).toMatch(/hint: render writes every record itself/);
        expect(mock.stats().submissions).toBe(1);
      });

      it('a record of a kind render does not write is refused by the commands that only read, too', async () => {
        const { url, env, p } = await appliedInDb();
        await pg.sql(url, `INSERT INTO render_records (campaign, kind, rec) VALUES ('e2e', 'refund', '{"t":"refund","cents":-500}')`);
        const r = await render(['status', p.spec], { cwd: p.dir, env });
        expectExit(r, 1);
        expect(r.stderr).toMatch(/holds a record render will not apply: record 1 after snapshot serial \d+ is not a record render writes \("refund"\)/);
      });
    });

    describe('render forget', () => {
      it('resolve a submit of unknown outcome through the database, the lockfile beside the spec updated as its snapshot', async () => {
        const p = makeProject({ shots: 1 });
        const open = lockTake({ status: 'unknown', prediction_id: undefined, outputs: [], completed_at: undefined, given_up_at: '2026-05-01T12:00:00.000Z' });
        const lock = {
          ...emptyLockfile(p.name, 'spec.yaml', 'a1b2c3d4-lineage'),
          serial: 1,
          endpoints: { [REAL]: { uploads: {}, shots: { 'shot-01': lockShot([open]) } } },
        };
        writeFileSync(p.lockFile, serializeLockfile(lock));
        const url = await pg.freshDatabase();
        expectExit(await render(['state', 'push', p.spec], { cwd: p.dir, env: { RENDER_STATE_URL: url } }), 0);
        const r = await render(['forget', p.spec, 'shot-01'], { cwd: p.dir, env: { RENDER_STATE_URL: url } });
        expectExit(r, 0);
        expect(r.stdout).toMatch(/^forgot take #1 of shot-01: \$2\.10 no longer counted as spent/);
        expect(await pg.sql(url, "SELECT kind, shot, n FROM render_records WHERE kind = 'forgotten'")).toEqual([{ kind: 'forgotten', shot: 'shot-01', n: 1 }]);
        const [run] = await pg.sql(url, "SELECT command, outcome FROM render_runs WHERE command = 'render forget'");
        expect(run).toEqual({ command: 'render forget', outcome: 'ok' });
        const snapshot = JSON.parse(readFileSync(p.lockFile, 'utf8'));
        expect(snapshot.endpoints[REAL].shots['shot-01'].takes[0].status).toBe('forgotten');
        expect(snapshot.serial).toBe(2);
      });
    });

    describe('a lockfile beside the spec that is not a snapshot of the database', () => {
      it('of another lineage (made anew, or copied from another campaign) is refused, and nothing is submitted', async () => {
        const { env, mock, p } = await appliedInDb();
        writeFileSync(p.lockFile, serializeLockfile({ ...lockOf(p), lineage: '00000000-made-anew' }));
        p.shots[0]!.prompt = 'an edited prompt, so the apply would submit';
        p.writeSpec();
        const r = await render(['apply', p.spec, ...FAST], { cwd: p.dir, server: mock, env });
        expectExit(r, 2);
        expect(r.stderr).toMatch(/e2e\.lock\.json is of another lineage \(00000000\) than the database's \(\w{8}\)/);
        expect(r.stderr).toMatch(/hint: `render state pull spec\.yaml` writes the database's state beside the spec/);
        expect(mock.stats().submissions).toBe(1);
      });

      it('past the database (an apply ran here without the database) is refused, and the plan says why', async () => {
        const { env, mock, p } = await appliedInDb();
        p.shots.push({ id: 'shot-02', prompt: 'a shot rendered with the state in files', image: 'assets/hero.png' });
        p.writeSpec();
        expectExit(await apply(p, mock), 0); // RENDER_STATE_URL forgotten: the state moved on in files only
        const r = await render(['plan', p.spec], { cwd: p.dir, server: mock, env });
        expectExit(r, 2);
        expect(r.stderr).toMatch(/e2e\.lock\.json is at serial \d+, past the database's \d+: it was written by an apply without the state database/);
        const again = await render(['apply', p.spec, ...FAST], { cwd: p.dir, server: mock, env });
        expectExit(again, 2);
        expect(mock.stats().submissions).toBe(2);
      });

      it('beside the journal of an interrupted apply that kept its state in files is refused: those records were paid', async () => {
        const { env, mock, p } = await appliedInDb();
        const lock = lockOf(p);
        const journal = path.join(p.dir, '.render', 'e2e.journal.ndjson');
        mkdirSync(path.dirname(journal), { recursive: true });
        const at = new Date().toISOString();
        writeFileSync(
          journal,
          [
            { t: 'base', at, lineage: lock.lineage, serial: lock.serial },
            { t: 'unknown', at, endpoint: REAL, shot: 'shot-01', n: 1, message: 'connection reset' },
          ]
            .map((r) => `${JSON.stringify(r)}\n`)
            .join(''),
        );
        const r = await render(['plan', p.spec], { cwd: p.dir, server: mock, env });
        expectExit(r, 2);
        expect(r.stderr).toMatch(/\.render\/e2e\.journal\.ndjson holds 1 records of an apply that kept its state in files/);
      });
    });

    describe('a session lost in the middle of an apply', () => {
      it('stops the run with nothing submitted after it (no durable intent, no submit), and the next apply pays nothing twice', async () => {
        const url = await pg.freshDatabase();
        const env = { RENDER_STATE_URL: url };
        const mock = await mockServer({ completeAfterMs: 1500 });
        const p = makeProject({ shots: 3, concurrency: 1 });
        const run = render(['apply', p.spec, ...FAST], { cwd: p.dir, server: mock, env });
        await waitUntil(() => mock.stats().submissions >= 1, 'the first submit');
        const [ended] = await pg.sql<{ n: number }>(
          url,
          "SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE application_name = 'render apply' AND datname = current_database()",
        );
        expect(ended?.n, "the apply's session was ended").toBe(1);
        const r = await run;
        expectExit(r, 1);
        expect(r.stderr).toMatch(/the connection to the state database postgres:\/\/render@127\.0\.0\.1:\d+\/\w+ was lost/);
        expect(mock.stats().submissions, 'no submit without a durable intent').toBe(1);
        expectExit(await apply(p, mock, [], p.spec, env), 0);
        expect(mock.stats().submissions).toBe(3);
        expect(mock.stats().duplicateSubmissions).toBe(0);
      });
    });

    describe('the process lock of a working folder', () => {
      it('refuses an apply without the database while one with it runs in the same folder', async () => {
        const env = { RENDER_STATE_URL: await pg.freshDatabase() };
        const clock = manualClock(); // stands still: the apply with the database runs until the test lets it finish
        const mock = await mockServer({ clock, completeAfterMs: 200 });
        const p = makeProject({ shots: 2 });
        const first = startRender(['apply', p.spec, ...FAST], { cwd: p.dir, server: mock, env });
        await waitUntil(() => mock.stats().submissions >= 2, 'the apply with the database to submit both shots');
        const second = await render(['apply', p.spec, ...FAST], { cwd: p.dir, server: mock });
        expectExit(second, 1);
        expect(second.stderr).toMatch(/error: another render apply is running on this spec/);
        expect(mock.stats().submissions, 'the refused apply submitted nothing').toBe(2);
        clock.flow();
        expectExit(await first.done, 0);
      });

      it('refuses `render state pull` while an apply runs in the same folder, never writing over the lockfile the apply keeps', async () => {
        const env = { RENDER_STATE_URL: await pg.freshDatabase() };
        const clock = manualClock(); // stands still: the apply runs until the test lets it finish
        const mock = await mockServer({ clock, completeAfterMs: 200 });
        const p = makeProject({ shots: 2 });
        const first = startRender(['apply', p.spec, ...FAST], { cwd: p.dir, server: mock, env });
        await waitUntil(() => mock.stats().submissions >= 2, 'the apply to submit both shots');
        const r = await render(['state', 'pull', p.spec], { cwd: p.dir, env });
        expectExit(r, 1);
        expect(r.stderr).toMatch(/error: another render apply is running on this spec/);
        clock.flow();
        expectExit(await first.done, 0);
      });
    });
  },
);
