#!/usr/bin/env node
/**
 * State backend benchmark (issue #15): the 1,000-shot apply of apply-1k-bench.mjs with the campaign's state in files
 * (journal + lockfile, the default) and in PostgreSQL (RENDER_STATE_URL), one after the other on the same machine.
 * Needs a build (`npm run bench` builds) and a PostgreSQL server binary (/usr/lib/postgresql/<v>/bin, or
 * RENDER_TEST_PG_BIN): this script starts its own server in a temp folder (as the postgres user when run as root),
 * with the defaults a real one has (fsync on), one fresh database per run, and stops it at the end.
 *
 * Figures per backend: wall time (spawn to exit of `render apply`), the apply phase alone, database round trips per
 * shot (queries the backend sent, counted in lock/pg/connect.ts), records, and bytes written to the lockfile beside
 * the spec. Targets: every shot rendered exactly once with either backend, and round trips per shot below 6
 * (each shot makes five records: intent, prediction id, two statuses, output; group commit shares INSERTs).
 *
 *   BENCH_STATE_SHOTS=1000   shots per run (a multiple of 50)
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SHOTS = Number(process.env.BENCH_STATE_SHOTS ?? 1000);
const ROUND_TRIPS_MAX = 6;

function binDir() {
  if (process.env.RENDER_TEST_PG_BIN) return process.env.RENDER_TEST_PG_BIN;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const v = readdirSync(root)
    .filter((d) => existsSync(path.join(root, d, 'bin', 'postgres')))
    .sort((a, b) => Number(b) - Number(a))[0];
  return v ? path.join(root, v, 'bin') : undefined;
}

/** argv running `bin` as the postgres user when we are root (PostgreSQL refuses to run as root). */
function asServerUser(bin, args) {
  return process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function startPostgres(bin) {
  const dir = mkdtempSync(path.join(tmpdir(), 'render-bench-pg-'));
  if (process.getuid?.() === 0)
    chownSync(dir, Number(execFileSync('id', ['-u', 'postgres']).toString()), Number(execFileSync('id', ['-g', 'postgres']).toString()));
  const data = path.join(dir, 'data');
  const [initCmd, initArgs] = asServerUser(path.join(bin, 'initdb'), [
    '-D',
    data,
    '-A',
    'trust',
    '-U',
    'render',
    '-E',
    'UTF8',
    '--no-locale',
    '--no-instructions',
  ]);
  execFileSync(initCmd, initArgs, { stdio: 'pipe' });
  const port = await freePort();
  const [cmd, args] = asServerUser(path.join(bin, 'postgres'), ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1']);
  const child = spawn(cmd, args, { stdio: 'ignore' });
  const psql = (sql, db = 'postgres') =>
    spawnSync(path.join(bin, 'psql'), ['-h', '127.0.0.1', '-p', String(port), '-U', 'render', '-d', db, '-qAtc', sql], { encoding: 'utf8' });
  for (let i = 0; i < 300 && psql('SELECT 1').status !== 0; i++) await new Promise((r) => setTimeout(r, 100));
  let n = 0;
  return {
    fresh() {
      const db = `bench_${++n}`;
      const r = psql(`CREATE DATABASE ${db}`);
      if (r.status !== 0) throw new Error(`CREATE DATABASE: ${r.stderr}`);
      return `postgres://render@127.0.0.1:${port}/${db}`;
    },
    async stop() {
      const exited = new Promise((r) => child.once('exit', r));
      process.kill(Number(readFileSync(path.join(data, 'postmaster.pid'), 'utf8').split('\n')[0]), 'SIGINT');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** One run of apply-1k-bench.mjs at SHOTS; its figures from the JSON it leaves in .bench/. */
function applyOnce(extraEnv) {
  const env = { ...process.env, BENCH_APPLY_SIZES: String(SHOTS), BENCH_APPLY_RUNS: '1', ...extraEnv };
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bench', 'apply-1k-bench.mjs')], { env, encoding: 'utf8' });
  let figures;
  try {
    figures = JSON.parse(readFileSync(path.join(ROOT, '.bench', 'apply-1k.json'), 'utf8')).runs[0];
  } catch {
    // shown as a miss below
  }
  return { code: r.status, out: r.stdout + r.stderr, f: figures };
}

const sec = (ms) => (ms === undefined ? '?' : `${(ms / 1000).toFixed(2)} s`);

async function main() {
  const bin = binDir();
  if (!bin || !existsSync(path.join(ROOT, 'dist', 'cli', 'main.js'))) {
    console.log(`state bench: skipped (${bin ? 'dist/ missing: build first' : 'no PostgreSQL server binary here'})`);
    return 0;
  }
  console.log(`state backend benchmark (issue #15): render apply of ${SHOTS} shots on the local mock server, state in files, then in PostgreSQL`);
  const files = applyOnce({ RENDER_STATE_URL: '' });
  const pg = await startPostgres(bin);
  let db;
  try {
    db = applyOnce({ RENDER_STATE_URL: pg.fresh() });
  } finally {
    await pg.stop();
  }
  const rows = [['backend', 'wall', 'run', 'records', 'round trips', 'per shot', 'lockfile writes', 'lockfile bytes']];
  for (const [name, r] of [
    ['files', files],
    ['postgres', db],
  ]) {
    const io = r.f?.io ?? {};
    rows.push([
      name,
      sec(r.f?.wallMs),
      sec(r.f?.runMs),
      io.journalRecords ?? '?',
      io.dbRoundTrips ?? '—',
      io.dbRoundTrips === undefined ? '—' : (io.dbRoundTrips / SHOTS).toFixed(2),
      io.lockfileWrites ?? '?',
      io.lockfileBytes ?? '?',
    ]);
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => String(r[c]).length)));
  for (const r of rows) console.log(r.map((v, c) => (c === 0 ? String(v).padEnd(widths[c]) : String(v).padStart(widths[c]))).join('  '));
  const ok = (r) => r.f && r.f.done === SHOTS && r.f.stats.submissions === SHOTS && r.f.stats.duplicateSubmissions === 0;
  const checks = [
    [ok(files), `files: every shot rendered exactly once`],
    [ok(db), `postgres: every shot rendered exactly once`],
    [db.f?.io?.dbRoundTrips !== undefined && db.f.io.dbRoundTrips / SHOTS < ROUND_TRIPS_MAX, `postgres: round trips per shot < ${ROUND_TRIPS_MAX}`],
  ];
  for (const [pass, text] of checks) console.log(`${pass ? 'PASS' : 'MISS'}  ${text}`);
  for (const [name, r] of [
    ['files', files],
    ['postgres', db],
  ])
    if (!ok(r)) console.error(`--- ${name} run (tail) ---\n${r.out.trim().split('\n').slice(-25).join('\n')}`);
  return checks.every(([pass]) => pass) ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    console.error(err);
    process.exitCode = 1;
  },
);
