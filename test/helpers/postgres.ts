import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import pg from 'pg';
import { inject } from 'vitest';

/**
 * A real PostgreSQL server for the state-backend tests (docs/ARCHITECTURE.md "Team state"): one for the whole test
 * run, started by the first test file that needs it (`initdb` into the run's folder, `postgres` on a free loopback
 * port with its unix socket in the same folder) and stopped and removed when the run ends
 * (test/helpers/postgres-run.ts, vitest.config.ts `globalSetup`). A run without such a test starts nothing. Each
 * test gets a database of its own: the files share the server, never a database (a campaign's advisory lock is
 * per database too).
 *
 * PostgreSQL refuses to run as root, and CI runs as root: then the server runs as the `postgres` system user (or
 * `nobody`) through runuser/su, in a folder given to that user. Tests skip, saying why, only where no server binary
 * exists (`.ci/run` installs Debian's postgresql where it is missing). `RENDER_TEST_PG_BIN` names another bin folder.
 */

/** The bin folder of the newest PostgreSQL installed, or undefined. */
function findBinDir(): string | undefined {
  const given = process.env.RENDER_TEST_PG_BIN;
  if (given) return existsSync(path.join(given, 'postgres')) ? given : undefined;
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root)
      .filter((v) => existsSync(path.join(root, v, 'bin', 'postgres')) && existsSync(path.join(root, v, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions[0]) return path.join(root, versions[0], 'bin');
  }
  return undefined;
}

const BIN = findBinDir();

/** Why the PostgreSQL tests cannot run here, or undefined when they can. */
export const postgresSkipReason: string | undefined = BIN
  ? undefined
  : "no PostgreSQL server binary (initdb, postgres) here: install Debian's postgresql (.ci/run does), or set RENDER_TEST_PG_BIN";

export interface TestPostgres {
  /** postgres://render@127.0.0.1:PORT/DB for a new, empty database. */
  freshDatabase(): Promise<string>;
  /** Run SQL on a database (the test's own checks), on one session per database kept until `close`. */
  sql<R extends Record<string, unknown> = Record<string, unknown>>(url: string, text: string, values?: unknown[]): Promise<R[]>;
  /** End this file's sessions (the server stays up for the run's other files: test/helpers/postgres-run.ts). */
  close(): Promise<void>;
}

/** The user the server runs as when we are root; undefined when we are not. */
function serverUser(): string | undefined {
  if (process.getuid?.() !== 0) return undefined;
  for (const user of ['postgres', 'nobody']) {
    try {
      execFileSync('id', ['-u', user], { stdio: 'ignore' });
      return user;
    } catch {
      // no such user
    }
  }
  throw new Error('running as root, and neither the postgres nor the nobody user exists to run PostgreSQL as');
}

/** argv that runs `bin args` as `user` (runuser where there is one, else su). */
function asUser(user: string | undefined, bin: string, args: string[]): [string, string[]] {
  if (!user) return [bin, args];
  if (existsSync('/usr/sbin/runuser') || existsSync('/sbin/runuser')) return ['runuser', ['-u', user, '--', bin, ...args]];
  const quoted = [bin, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  return ['su', [user, '-s', '/bin/sh', '-c', `exec ${quoted}`]];
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function uidGid(user: string): [number, number] {
  const uid = Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', user], { encoding: 'utf8' }).trim());
  return [uid, gid];
}

/** The run's server, its base URL `postgres://render@127.0.0.1:PORT`: started by the first caller of the run. */
let server: Promise<string> | undefined;

/**
 * This file's handle on the run's server (call in beforeAll; `close` in afterAll). The first file of the run to
 * call it starts the server in the run's folder; the others wait until it is ready.
 */
export async function usePostgres(): Promise<TestPostgres> {
  if (!BIN) throw new Error(postgresSkipReason);
  server ??= serverOf(inject('postgresRunDir'));
  const base = await server;
  const sessions = new Map<string, Promise<pg.Client>>();
  const session = (url: string) => {
    let s = sessions.get(url);
    if (!s) {
      const client = new pg.Client({ connectionString: url });
      s = client.connect().then(() => client);
      sessions.set(url, s);
    }
    return s;
  };
  const sql: TestPostgres['sql'] = async (url, text, values) => (await (await session(url)).query(text, values)).rows;
  // From PostgreSQL 15 a database is made by writing the template's every page to the WAL: copying its files
  // instead costs a test database a fraction of the CPU (nothing here needs the WAL: fsync is off).
  const [version] = await sql<{ v: string }>(`${base}/postgres`, "SELECT current_setting('server_version_num') AS v");
  const strategy = Number(version?.v) >= 150_000 ? ' STRATEGY = FILE_COPY' : '';
  return {
    async freshDatabase() {
      const db = `t${randomBytes(6).toString('hex')}`;
      await sql(`${base}/postgres`, `CREATE DATABASE ${db}${strategy}`);
      return `${base}/${db}`;
    },
    sql,
    async close() {
      const all = [...sessions.values()];
      sessions.clear();
      await Promise.all(all.map(async (s) => (await s.catch(() => undefined))?.end().catch(() => undefined)));
    },
  };
}

/**
 * The server of the run's folder `dir`, started here if no other test file of the run has started it: whoever
 * makes `dir/starting` first runs initdb and the server, and writes `dir/ready` (its port) or `dir/failed` (why).
 */
async function serverOf(dir: string): Promise<string> {
  const ready = path.join(dir, 'ready');
  const failed = path.join(dir, 'failed');
  let starter = false;
  try {
    mkdirSync(path.join(dir, 'starting'));
    starter = true;
  } catch {
    // another test file of the run starts it
  }
  if (starter) {
    try {
      writeFileSync(ready, String(await startServer(dir)));
    } catch (err) {
      writeFileSync(failed, String((err as Error).message));
      throw err;
    }
  }
  const deadline = Date.now() + 60_000;
  while (!existsSync(ready)) {
    if (existsSync(failed)) throw new Error(readFileSync(failed, 'utf8'));
    if (Date.now() > deadline) throw new Error(`the run's PostgreSQL server in ${dir} was not ready in 60 s`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return `postgres://render@127.0.0.1:${readFileSync(ready, 'utf8')}`;
}

/**
 * initdb into `dir/data` and start the server on a free loopback port, its unix socket in `dir`; its port. The
 * server outlives this test file (detached): the run's teardown stops it (test/helpers/postgres-run.ts).
 */
async function startServer(dir: string): Promise<number> {
  const user = serverUser();
  if (user) {
    const [uid, gid] = uidGid(user);
    chownSync(dir, uid, gid);
  }
  chmodSync(dir, 0o700);
  const data = path.join(dir, 'data');
  const [initCmd, initArgs] = asUser(user, path.join(BIN!, 'initdb'), [
    '-D',
    data,
    '-A',
    'trust',
    '-U',
    'render',
    '-E',
    'UTF8',
    '--no-locale', // C: whatever LANG the machine has (even one not generated), and English messages to match
    '--no-sync',
    '--no-instructions',
  ]);
  execFileSync(initCmd, initArgs, { stdio: 'pipe' });
  const port = await freePort();
  const [cmd, args] = asUser(user, path.join(BIN!, 'postgres'), [
    '-D',
    data,
    '-p',
    String(port),
    '-k',
    dir,
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    'fsync=off',
    '-c',
    'synchronous_commit=off',
    '-c',
    'full_page_writes=off',
    '-c',
    'max_connections=100',
    '-c',
    'autovacuum=off', // a server of one run: its workers would visit every test database for nothing
  ]);
  const logFile = path.join(dir, 'server.log');
  const child: ChildProcess = spawn(cmd, args, { stdio: ['ignore', 'ignore', openSync(logFile, 'a')], detached: true });
  child.unref();
  await waitReady(`postgres://render@127.0.0.1:${port}/postgres`, () => readFileSync(logFile, 'utf8').slice(-4000), child);
  return port;
}

async function waitReady(url: string, log: () => string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
    try {
      await client.connect();
      await client.end();
      return;
    } catch {
      await client.end().catch(() => undefined);
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`PostgreSQL did not start:\n${log()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
