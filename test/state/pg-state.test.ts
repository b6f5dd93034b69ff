import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectState } from '../../src/lock/pg/connect.js';
import { migrate, SCHEMA_VERSION, schemaVersion } from '../../src/lock/pg/migrations.js';
import { apply, expectExit, makeProject, mockServer, type Project, render } from '../apply/helpers.js';
import { usePostgres, postgresSkipReason, type TestPostgres } from '../helpers/postgres.js';

/**
 * The PostgreSQL state backend (docs/ARCHITECTURE.md "Team state") against the run's real server (test/helpers/postgres.ts): its
 * schema and migrations, `render state push` / `pull`, and a lockfile that disagrees with the database, which is
 * reported and never trusted over it. A fresh database per test.
 */

let server: TestPostgres;
const FIXTURE_V1 = path.join(import.meta.dirname, '..', 'fixtures', 'state', 'schema-v1.sql');

describe.skipIf(postgresSkipReason !== undefined)(`the PostgreSQL state backend${postgresSkipReason ? ` (skipped: ${postgresSkipReason})` : ''}`, () => {
  beforeAll(async () => {
    server = await usePostgres();
  }, 60_000);
  afterAll(async () => {
    await server?.close();
  });

  const env = (url: string) => ({ RENDER_STATE_URL: url });

  /** A campaign applied with its state in files: the lockfile to push. */
  async function appliedInFiles(o: { shots?: number } = {}): Promise<{ p: Project; mock: Awaited<ReturnType<typeof mockServer>> }> {
    const mock = await mockServer();
    const p = makeProject({ shots: o.shots ?? 2 });
    expectExit(await apply(p, mock), 0);
    return { p, mock };
  }

  describe('migrations', () => {
    it('bring an empty database to the current schema version, and are a no-op the second time', async () => {
      const url = await server.freshDatabase();
      const db = await connectState({ url, from: 'RENDER_STATE_URL' }, { command: 'test' });
      try {
        expect(await migrate(db)).toEqual({ from: 0, to: SCHEMA_VERSION });
        const before = db.roundTrips;
        expect(await migrate(db)).toEqual({ from: SCHEMA_VERSION, to: SCHEMA_VERSION });
        expect(db.roundTrips - before, 'a current schema is checked with one query').toBe(1);
      } finally {
        await db.close();
      }
      const tables = await server.sql(url, "SELECT tablename FROM pg_tables WHERE tablename LIKE 'render_%' ORDER BY 1");
      expect(tables.map((t) => t.tablename)).toEqual(['render_campaigns', 'render_records', 'render_runs', 'render_schema_migrations', 'render_snapshots']);
    });

    it('bring a version 1 database to the current version, keeping its campaign: its snapshot hashed, its records keyed by take', async () => {
      const url = await server.freshDatabase();
      await server.sql(url, readFileSync(FIXTURE_V1, 'utf8'));
      const p = makeProject({ name: 'legacy', shots: 2 });
      const r = await render(['takes', p.spec, '--json'], { cwd: p.dir, env: env(url) });
      expectExit(r, 0);
      const rows = (JSON.parse(r.stdout) as { takes: { shot: string; take: number; status: string; prediction_id: string | null }[] }).takes;
      expect(rows.map((t) => [t.shot, t.take, t.status, t.prediction_id])).toEqual([
        ['shot-01', 1, 'completed', '0123456789abcdef0123456789abcdef'],
        ['shot-02', 1, 'submitted', 'fedcba9876543210fedcba9876543210'],
      ]);
      expect(await server.sql(url, 'SELECT max(version) AS v FROM render_schema_migrations')).toEqual([{ v: SCHEMA_VERSION }]);
      const snap = await server.sql(
        url,
        "SELECT s.serial, s.sha256 = encode(sha256(convert_to(c.snapshot, 'UTF8')), 'hex') AS same FROM render_snapshots s JOIN render_campaigns c ON c.name = s.campaign",
      );
      expect(snap).toEqual([{ serial: 3, same: true }]);
      const keyed = await server.sql(url, 'SELECT kind, endpoint, shot, n FROM render_records ORDER BY seq');
      expect(keyed).toEqual([
        { kind: 'intent', endpoint: 'https://api.wavespeed.ai', shot: 'shot-02', n: 1 },
        { kind: 'submitted', endpoint: 'https://api.wavespeed.ai', shot: 'shot-02', n: 1 },
      ]);
    });

    it('refuse a database a newer render migrated, saying to upgrade', async () => {
      const url = await server.freshDatabase();
      await server.sql(url, readFileSync(FIXTURE_V1, 'utf8'));
      await server.sql(url, "INSERT INTO render_schema_migrations (version, name) VALUES (99, 'from the future')");
      const p = makeProject({ name: 'legacy', shots: 1 });
      const r = await render(['plan', p.spec], { cwd: p.dir, env: env(url) });
      expectExit(r, 1);
      expect(r.stderr).toMatch(/has schema version 99; this render knows versions up to \d+/);
      expect(r.stderr).toMatch(/hint: a newer render migrated it: upgrade render/);
    });

    it('are one at a time: two first connections at once both end at the current version', async () => {
      const url = await server.freshDatabase();
      const dbs = await Promise.all([1, 2].map(() => connectState({ url, from: 'RENDER_STATE_URL' }, { command: 'test' })));
      try {
        await Promise.all(dbs.map((db) => migrate(db)));
        expect(await schemaVersion(dbs[0]!)).toBe(SCHEMA_VERSION);
      } finally {
        await Promise.all(dbs.map((db) => db.close()));
      }
    });
  });

  describe('render state push and pull', () => {
    it('push then pull gives back the lockfile byte for byte', async () => {
      const { p } = await appliedInFiles();
      const before = readFileSync(p.lockFile, 'utf8');
      const url = await server.freshDatabase();
      const pushed = await render(['state', 'push', p.spec], { cwd: p.dir, env: env(url) });
      expectExit(pushed, 0);
      expect(pushed.stdout).toMatch(/^pushed "e2e" \(serial \d+, 2 takes on 1 endpoint\) to postgres:\/\/render@127\.0\.0\.1:\d+\/\w+\n$/);
      writeFileSync(p.lockFile, '{}');
      const pulled = await render(['state', 'pull', p.spec], { cwd: p.dir, env: env(url) });
      expectExit(pulled, 0);
      expect(readFileSync(p.lockFile, 'utf8')).toBe(before);
    });

    it('push imports the journal of an interrupted apply too, and leaves no journal behind', async () => {
      const { p } = await appliedInFiles({ shots: 1 });
      const lock = JSON.parse(readFileSync(p.lockFile, 'utf8'));
      writeFileSync(
        p.journal,
        `${JSON.stringify({ t: 'base', at: '2026-01-01T00:00:00.000Z', lineage: lock.lineage, serial: lock.serial })}\n${JSON.stringify({ t: 'kept', from: 'a', path: 'renders/e2e/.takes/x.mp4', sha256: 'b'.repeat(64), bytes: 1, at: '2026-01-01T00:00:00.000Z', reason: 'test' })}\n`,
      );
      const url = await server.freshDatabase();
      expectExit(await render(['state', 'push', p.spec], { cwd: p.dir, env: env(url) }), 0);
      expect(existsSync(p.journal)).toBe(false);
      const [row] = await server.sql(url, 'SELECT snapshot FROM render_campaigns');
      expect(JSON.parse(String(row!.snapshot)).kept).toHaveLength(1);
      expect(String(row!.snapshot)).toBe(readFileSync(p.lockFile, 'utf8'));
    });

    it('push refuses a database that already holds the campaign', async () => {
      const { p } = await appliedInFiles({ shots: 1 });
      const url = await server.freshDatabase();
      expectExit(await render(['state', 'push', p.spec], { cwd: p.dir, env: env(url) }), 0);
      const again = await render(['state', 'push', p.spec], { cwd: p.dir, env: env(url) });
      expectExit(again, 2);
      expect(again.stderr).toMatch(/already holds the campaign "e2e" \(serial \d+\): push fills only an empty one/);
    });

    it('pull moves a lockfile that disagrees into .render/, never deleting it', async () => {
      const { p } = await appliedInFiles({ shots: 1 });
      const url = await server.freshDatabase();
      expectExit(await render(['state', 'push', p.spec], { cwd: p.dir, env: env(url) }), 0);
      const good = readFileSync(p.lockFile, 'utf8');
      const edited = good.replace('"cost_cents": 126', '"cost_cents": 1');
      writeFileSync(p.lockFile, edited);
      const pulled = await render(['state', 'pull', p.spec], { cwd: p.dir, env: env(url) });
      expectExit(pulled, 0);
      expect(pulled.stdout).toMatch(/is not the snapshot the database wrote at that serial/);
      expect(readFileSync(p.lockFile, 'utf8')).toBe(good);
      const aside = readdirSync(path.join(p.dir, '.render')).filter((f) => f.includes('.diverged-'));
      expect(aside).toHaveLength(1);
      expect(readFileSync(path.join(p.dir, '.render', aside[0]!), 'utf8')).toBe(edited);
    });

    it('say plainly that there is no state database to move to', async () => {
      const p = makeProject({ shots: 1 });
      const r = await render(['state', 'pull', p.spec], { cwd: p.dir });
      expectExit(r, 2);
      expect(r.stderr).toMatch(/no state database: set RENDER_STATE_URL, or name a variable in the spec's state: \{ url_env: NAME \}/);
    });
  });

  describe('a lockfile that disagrees with the database', () => {
    it('is refused, with the database named and the way out, when it is not a snapshot the database wrote', async () => {
      const { p, mock } = await appliedInFiles({ shots: 1 });
      const url = await server.freshDatabase();
      expectExit(await render(['state', 'push', p.spec], { cwd: p.dir, env: env(url) }), 0);
      writeFileSync(p.lockFile, readFileSync(p.lockFile, 'utf8').replace('"cost_cents": 126', '"cost_cents": 1'));
      const r = await render(['plan', p.spec], { cwd: p.dir, server: mock, env: env(url) });
      expectExit(r, 2);
      expect(r.stderr).toMatch(/spec\.yaml|e2e\.lock\.json \(serial \d+\) is not the snapshot the database wrote at that serial/);
      expect(r.stderr).toMatch(/is the campaign's record, and the lockfile is never trusted over it/);
      expect(r.stderr).toMatch(/hint: `render state pull spec\.yaml`/);
    });

    it('is refused when the database has no state for the campaign: push it first, or the plan would pay again', async () => {
      const { p, mock } = await appliedInFiles({ shots: 1 });
      const url = await server.freshDatabase();
      const r = await render(['apply', p.spec, '--yes'], { cwd: p.dir, server: mock, env: env(url) });
      expectExit(r, 2);
      expect(r.stderr).toMatch(/e2e\.lock\.json exists, and the database has no state for "e2e"/);
      expect(r.stderr).toMatch(/hint: import it first: `render state push spec\.yaml`/);
      expect(mock.stats().submissions).toBe(1);
    });

    it('when it is only behind, the plan comes from the database, with a warning', async () => {
      const { p, mock } = await appliedInFiles({ shots: 1 });
      const url = await server.freshDatabase();
      expectExit(await render(['state', 'push', p.spec], { cwd: p.dir, env: env(url) }), 0);
      const old = readFileSync(p.lockFile, 'utf8');
      p.shots.push({ id: 'shot-02', prompt: 'a second shot, rendered by the team', image: 'assets/hero.png' });
      p.writeSpec();
      expectExit(await apply(p, mock, [], p.spec, env(url)), 0);
      writeFileSync(p.lockFile, old);
      const r = await render(['plan', p.spec, '--json'], { cwd: p.dir, server: mock, env: env(url) });
      expectExit(r, 0);
      const fromDb = JSON.parse(r.stdout) as { shots: { action: string }[]; warnings?: string[] };
      expect(fromDb.shots.map((s) => s.action)).toEqual(['unchanged', 'unchanged']);
      expect(fromDb.warnings?.join('\n')).toMatch(/e2e\.lock\.json \(serial \d+\) is behind the state database .* \(serial \d+\): planned from the database/);
    });
  });

  describe('connection problems', () => {
    it('a wrong password is a refused login, not shown either', async () => {
      const url = await server.freshDatabase();
      const p = makeProject({ shots: 1 });
      const bad = url.replace('postgres://render@', 'postgres://nobody-here:s3cret-pw@');
      const r = await render(['plan', p.spec], { cwd: p.dir, env: { RENDER_STATE_URL: bad } });
      expectExit(r, 1);
      expect(r.stderr).toMatch(
        /error: the state database postgres:\/\/nobody-here:\*\*\*@127\.0\.0\.1:\d+\/\w+ refused the login: role "nobody-here" does not exist/,
      );
      expect(r.stderr).not.toContain('s3cret-pw');
    });

    it('a spec that names its state variable, unset, is refused rather than falling back to files', async () => {
      const p = makeProject({ shots: 1 });
      writeFileSync(p.spec, `${readFileSync(p.spec, 'utf8')}state: { url_env: TEAM_STATE_URL }\n`);
      const r = await render(['plan', p.spec], { cwd: p.dir });
      expectExit(r, 1);
      expect(r.stderr).toMatch(/the spec keeps its state in the database named by TEAM_STATE_URL, but TEAM_STATE_URL is not set/);
    });

    it('a spec that names its state variable uses it', async () => {
      const { p, mock } = await appliedInFiles({ shots: 1 });
      const url = await server.freshDatabase();
      writeFileSync(p.spec, `${readFileSync(p.spec, 'utf8')}state: { url_env: TEAM_STATE_URL }\n`);
      expectExit(await render(['state', 'push', p.spec], { cwd: p.dir, env: { TEAM_STATE_URL: url } }), 0);
      const r = await render(['status', p.spec], { cwd: p.dir, server: mock, env: { TEAM_STATE_URL: url } });
      expectExit(r, 0);
      expect(r.stdout).toMatch(/shot-01\s+unchanged/);
    });
  });
});
