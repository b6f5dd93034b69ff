import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';

/**
 * A real PostgreSQL server for the state-backend tests (docs/ARCHITECTURE.md "Team state"), started by the test file
 * itself: `initdb` into a temp folder, `postgres` on a free loopback port with its unix socket in the same folder,
 * stopped and removed after. One server per test file (start-up costs about two seconds), one database per test.
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
  /** Run SQL on a database (the test's own checks). */
  sql<R extends Record<string, unknown> = Record<string, unknown>>(url: string, text: string, values?: unknown[]): Promise<R[]>;
  stop(): Promise<void>;
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

/** Start a server (call in beforeAll; `stop` in afterAll). */
export async function startPostgres(): Promise<TestPostgres> {
  if (!BIN) throw new Error(postgresSkipReason);
  const dir = mkdtempSync(path.join(tmpdir(), 'render-pg-'));
  const user = serverUser();
  if (user) {
    const [uid, gid] = uidGid(user);
    chownSync(dir, uid, gid);
  }
  chmodSync(dir, 0o700);
  const data = path.join(dir, 'data');
  const [initCmd, initArgs] = asUser(user, path.join(BIN, 'initdb'), [
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
  const [cmd, args] = asUser(user, path.join(BIN, 'postgres'), [
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
    'max_connections=60',
  ]);
  const child: ChildProcess = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr?.on('data', (d) => {
    log = (log + String(d)).slice(-4000);
  });
  const base = `postgres://render@127.0.0.1:${port}`;
  const serverPid = () => Number(readFileSync(path.join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
  const kill = () => {
    try {
      process.kill(serverPid(), 'SIGINT'); // fast shutdown: sessions are ended, nothing waits
    } catch {
      child.kill('SIGKILL');
    }
  };
  process.once('exit', kill);
  await waitReady(`${base}/postgres`, () => log, child);
  let n = 0;
  const sql: TestPostgres['sql'] = async (url, text, values) => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query(text, values)).rows;
    } finally {
      await client.end();
    }
  };
  // From PostgreSQL 15 a database is made by writing the template's every page to the WAL: copying its files
  // instead costs a test database a fraction of the CPU (nothing here needs the WAL: fsync is off).
  const [version] = await sql<{ v: string }>(`${base}/postgres`, "SELECT current_setting('server_version_num') AS v");
  const strategy = Number(version?.v) >= 150_000 ? ' STRATEGY = FILE_COPY' : '';
  return {
    async freshDatabase() {
      const db = `t${process.pid}_${++n}`;
      await sql(`${base}/postgres`, `CREATE DATABASE ${db}${strategy}`);
      return `${base}/${db}`;
    },
    sql,
    async stop() {
      process.off('exit', kill);
      const exited = new Promise<void>((r) => (child.exitCode !== null ? r() : child.once('exit', () => r())));
      kill();
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
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
