import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, onTestFinished } from 'vitest';
import { LockfileSchema, type Lockfile, type LockShot } from '../../src/lock/schema.js';
import { startMockServer, type MockServer, type MockServerOptions } from '../../src/mock/index.js';

/**
 * End-to-end helpers for `render apply`: the BUILT CLI (dist/cli/main.js) runs as a child process against a
 * mock server started in the test process on 127.0.0.1, port 0. Every test gets its own folder with a small
 * generated spec, so each shot's request body is distinct and the server's duplicate count means "paid twice".
 */

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = path.join(ROOT, 'dist', 'cli', 'main.js');

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Flags every apply in these tests uses: no prompt, brisk polls, lost submits settled 300 ms after the request
 * was given up, and requests given up after 3 s (an earlier run's unanswered intent is settled that long after
 * it was written).
 */
export const FAST = ['--yes', '--poll-interval', '50ms', '--settle-after', '300ms', '--request-timeout', '3s'] as const;

// ---------------------------------------------------------------------------------------------------------
// Build

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const abs = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(abs) : statSync(abs).mtimeMs);
  }
  return newest;
}

function isStale(): boolean {
  if (!existsSync(CLI)) return true;
  // tsc rewrites every output, so main.js is as old as the last build.
  return newestMtime(path.join(ROOT, 'src')) > statSync(CLI).mtimeMs;
}

/**
 * `npm test` builds first; a bare `npx vitest run test/apply` may find dist older than src. Build then, once:
 * a folder made with mkdir is the lock between vitest's workers.
 */
export function ensureBuilt(): void {
  if (!isStale()) return;
  const lock = path.join(tmpdir(), 'render-test-apply-build.lock');
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`build lock ${lock} held for 2 minutes; remove it if no build runs`);
      execFileSync(process.execPath, ['-e', 'setTimeout(() => {}, 200)']);
    }
  }
  try {
    if (isStale()) {
      try {
        execFileSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'pipe' });
      } catch (err) {
        // tsc still emits on type errors (someone's work in progress elsewhere in src): test what was built, say so.
        if (isStale()) throw err;
        console.warn(`tsc reported errors while building dist/ for test/apply:\n${String((err as { stdout?: unknown }).stdout ?? err)}`);
      }
    }
  } finally {
    rmdirSync(lock);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Mock server

/** A mock server on 127.0.0.1:0 (or a given port), closed when the test ends. Tasks complete in 150 ms. */
export async function mockServer(options: MockServerOptions = {}): Promise<MockServer> {
  const server = await startMockServer({ completeAfterMs: 150, processingAfterMs: 30, ...options, host: '127.0.0.1' });
  onTestFinished(() => server.close());
  return server;
}

// ---------------------------------------------------------------------------------------------------------
// Projects

const IMAGES = ['hero.png', 'studio.jpg', 'rooftop.png', 'tokyo-night.jpg'] as const;

export interface ShotDef {
  id: string;
  prompt: string;
  image: string;
  duration?: number;
}

export interface ProjectOptions {
  shots?: number;
  name?: string;
  budgetUsd?: number;
  concurrency?: number;
  /** Seconds per shot (default 3: $1.26). */
  duration?: number;
}

export interface Project {
  dir: string;
  spec: string;
  name: string;
  lockFile: string;
  journal: string;
  pidFile: string;
  outputDir: string;
  shots: ShotDef[];
  options: Required<Omit<ProjectOptions, 'shots'>>;
  ids(): string[];
  /** Rewrite the spec from `shots` and `options` (after editing them). */
  writeSpec(): void;
  /** Absolute path of a path relative to the project. */
  abs(rel: string): string;
  /** The output file of a shot. */
  output(id: string): string;
}

/** A throw-away folder with assets/ (four real images) and spec.yaml of `shots` distinct shots. */
export function makeProject(o: ProjectOptions = {}): Project {
  const dir = mkdtempSync(path.join(tmpdir(), 'render-apply-'));
  onTestFinished((ctx) => {
    // Kept when the test failed, for a look at what the run left behind.
    if (ctx.task.result?.state === 'fail') console.error(`test folder kept: ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  });
  mkdirSync(path.join(dir, 'assets'));
  for (const img of IMAGES) copyFileSync(path.join(ROOT, 'assets', img), path.join(dir, 'assets', img));
  const options = { name: 'e2e', budgetUsd: 100, concurrency: 3, duration: 3, ...o };
  const n = o.shots ?? 8;
  const shots: ShotDef[] = Array.from({ length: n }, (_, i) => ({
    id: `shot-${String(i + 1).padStart(2, '0')}`,
    prompt: `take ${i + 1}: the sneaker on a pedestal, camera orbit number ${i + 1}, soft light`,
    image: `assets/${IMAGES[i % IMAGES.length]}`,
  }));
  const name = options.name;
  const p: Project = {
    dir,
    spec: path.join(dir, 'spec.yaml'),
    name,
    lockFile: path.join(dir, `${name}.lock.json`),
    journal: path.join(dir, '.render', `${name}.journal.ndjson`),
    pidFile: path.join(dir, '.render', `${name}.pid`),
    outputDir: path.join(dir, 'renders', name),
    shots,
    options,
    ids: () => p.shots.map((s) => s.id),
    writeSpec() {
      const lines = [
        'version: 1',
        `name: ${name}`,
        `budget: { max_usd: ${p.options.budgetUsd} }`,
        `concurrency: ${p.options.concurrency}`,
        `defaults: { duration: ${p.options.duration}, cfg_scale: 0.5 }`,
        'shots:',
      ];
      for (const s of p.shots) {
        lines.push(`  - id: ${s.id}`, `    image: ${s.image}`, `    prompt: ${JSON.stringify(s.prompt)}`);
        if (s.duration !== undefined) lines.push(`    duration: ${s.duration}`);
      }
      writeFileSync(p.spec, `${lines.join('\n')}\n`);
    },
    abs: (rel) => path.resolve(dir, rel),
    output: (id) => path.join(dir, 'renders', name, `${id}.mp4`),
  };
  p.writeSpec();
  return p;
}

// ---------------------------------------------------------------------------------------------------------
// Running the CLI

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd: string;
  /** The server the child talks to, through WAVESPEED_BASE_URL and WAVESPEED_API_KEY. */
  server?: MockServer;
  env?: Record<string, string>;
  /** Kill the child (SIGKILL) if it runs longer than this (default 60 s): a hung run fails the test, never the suite. */
  timeoutMs?: number;
}

export interface Running {
  child: ChildProcess;
  readonly stdout: string;
  readonly stderr: string;
  /** Resolves once stderr has a line matching `re` `count` times (rejects if the run ends first). */
  waitForStderr(re: RegExp, count?: number): Promise<void>;
  kill(): Promise<RunResult>;
  done: Promise<RunResult>;
}

const live = new Set<ChildProcess>();

function childEnv(o: RunOptions): Record<string, string> {
  // Only what the child needs: none of the test runner's environment (CI, RENDER_DEBUG, NODE_OPTIONS...) leaks in.
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', NO_COLOR: '1' };
  if (process.env.HOME) env.HOME = process.env.HOME;
  if (o.server) {
    env.WAVESPEED_BASE_URL = o.server.url;
    env.WAVESPEED_API_KEY = o.server.apiKey;
  }
  return { ...env, ...o.env };
}

/** Start `render ARGS` (the built binary) in the background. */
export function spawnRender(args: readonly string[], o: RunOptions): Running {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: o.cwd, env: childEnv(o), stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  onTestFinished(() => {
    if (live.has(child)) child.kill('SIGKILL');
  });
  let stdout = '';
  let stderr = '';
  let finished = false;
  const waiters: { re: RegExp; count: number; resolve: () => void; reject: (e: Error) => void }[] = [];
  const countLines = (re: RegExp) => stderr.split('\n').filter((l) => re.test(l)).length;
  const check = () => {
    for (const w of [...waiters]) {
      if (countLines(w.re) >= w.count) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      } else if (finished) {
        waiters.splice(waiters.indexOf(w), 1);
        w.reject(new Error(`the run ended before stderr matched ${w.re} ${w.count}x\nstderr:\n${stderr}\nstdout:\n${stdout}`));
      }
    }
  };
  child.stdout!.setEncoding('utf8').on('data', (t: string) => (stdout += t));
  child.stderr!.setEncoding('utf8').on('data', (t: string) => {
    stderr += t;
    check();
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 60_000);
  const done = new Promise<RunResult>((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      live.delete(child);
      finished = true;
      check();
      resolve({ code, signal, stdout, stderr });
    });
  });
  return {
    child,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    waitForStderr(re, count = 1) {
      return new Promise((resolve, reject) => {
        waiters.push({ re, count, resolve, reject });
        check();
      });
    },
    async kill() {
      child.kill('SIGKILL');
      return done;
    },
    done,
  };
}

/** Run `render ARGS` to the end. */
export function render(args: readonly string[], o: RunOptions): Promise<RunResult> {
  return spawnRender(args, o).done;
}

/** `render apply SPEC --yes --poll-interval 50ms --settle-after 300ms ...extra` against `server`. */
export function apply(p: Project, server: MockServer, extra: readonly string[] = [], target = p.spec): Promise<RunResult> {
  return render(['apply', target, ...FAST, ...extra], { cwd: p.dir, server });
}

/** A readable failure message for a run that did not exit as expected. */
export function describeRun(r: RunResult): string {
  return `exit ${r.code} (signal ${r.signal})\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}

/** Assert an exit code, showing the run's output when it differs. */
export function expectExit(r: RunResult, code: number): void {
  expect(r.code, describeRun(r)).toBe(code);
}

// ---------------------------------------------------------------------------------------------------------
// The lockfile and the outputs

function assertSortedKeys(value: unknown, where: string): void {
  if (Array.isArray(value)) return value.forEach((v, i) => assertSortedKeys(v, `${where}[${i}]`));
  if (value === null || typeof value !== 'object') return;
  const keys = Object.keys(value);
  expect(keys, `keys of ${where || 'the lockfile'} are sorted`).toEqual([...keys].sort());
  for (const k of keys) assertSortedKeys((value as Record<string, unknown>)[k], `${where}.${k}`);
}

/**
 * The lockfile as committed: valid JSON, `"version": 1`, keys sorted at every depth (the text, not just the
 * data), a final newline, and the schema's shape. Absent is allowed only when `optional`.
 */
export function readLock(p: Project, optional = false): Lockfile {
  if (!existsSync(p.lockFile)) {
    expect(optional, `${p.lockFile} exists`).toBe(true);
    return { version: 1, name: p.name, shots: {}, uploads: {} };
  }
  const text = readFileSync(p.lockFile, 'utf8');
  let data: unknown;
  expect(() => (data = JSON.parse(text)), 'the lockfile is valid JSON').not.toThrow();
  expect((data as { version?: unknown }).version).toBe(1);
  expect(text.endsWith('}\n')).toBe(true);
  assertSortedKeys(data, '');
  const parsed = LockfileSchema.safeParse(data);
  expect(parsed.success, parsed.success ? '' : JSON.stringify(parsed.error.issues)).toBe(true);
  return parsed.data!;
}

export function sha256File(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** Every listed shot is completed with its output in place: the file exists, and its size and sha256 match. */
export function expectVerifiedOutputs(p: Project, ids: readonly string[] = p.ids()): Lockfile {
  const lock = readLock(p);
  for (const id of ids) {
    const shot: LockShot | undefined = lock.shots[id];
    expect(shot, `lockfile entry for ${id}`).toBeDefined();
    expect(shot!.status, `${id} status`).toBe('completed');
    expect(shot!.prediction_id, `${id} prediction id`).toMatch(/^[0-9a-f]{32}$/);
    expect(
      shot!.outputs.map((o) => o.path),
      `${id} outputs`,
    ).toEqual([`renders/${p.name}/${id}.mp4`]);
    for (const out of shot!.outputs) {
      const file = p.abs(out.path);
      expect(existsSync(file), `${file} exists`).toBe(true);
      expect(statSync(file).size).toBe(out.bytes);
      expect(sha256File(file), `sha256 of ${out.path}`).toBe(out.sha256);
    }
    expect(shot!.remote_outputs, `${id} has nothing left to download`).toBeUndefined();
  }
  return lock;
}

/** Cents the mock kept: charges minus refunds. */
export function keptCents(server: MockServer): number {
  const s = server.stats();
  return s.chargesCents - s.refundsCents;
}

/** Lines of stderr matching `re`. */
export function linesOf(text: string, re: RegExp): string[] {
  return text.split('\n').filter((l) => re.test(l));
}

/** NDJSON stdout of `--json`: every line parsed (a line that is not JSON fails the test). */
export function ndjson(stdout: string): Record<string, unknown>[] {
  return stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      try {
        return JSON.parse(l) as Record<string, unknown>;
      } catch {
        throw new Error(`stdout line is not JSON: ${l}`);
      }
    });
}

/** The shots of `render plan --json`, by id. */
export async function planJson(p: Project, server: MockServer, extra: readonly string[] = []): Promise<{ code: number | null; plan: PlanJson }> {
  const r = await render(['plan', p.spec, '--json', ...extra], { cwd: p.dir, server });
  let plan: PlanJson;
  try {
    plan = JSON.parse(r.stdout) as PlanJson;
  } catch {
    throw new Error(`plan --json did not print JSON\n${describeRun(r)}`);
  }
  return { code: r.code, plan };
}

export interface PlanJson {
  endpoint: string;
  shots: { id: string; action: string; reason: string; cost_cents: number; fingerprint: string; duration: number }[];
  totals: Record<string, number>;
}

export function actions(plan: PlanJson): Record<string, string> {
  return Object.fromEntries(plan.shots.map((s) => [s.id, s.action]));
}

export function shotOf(plan: PlanJson, id: string): PlanJson['shots'][number] {
  const s = plan.shots.find((x) => x.id === id);
  if (!s) throw new Error(`no shot ${id} in the plan`);
  return s;
}

/** Leftover download temp files in the output folder (a kill mid-download leaves them; they are not outputs). */
export function outputFiles(p: Project): string[] {
  if (!existsSync(p.outputDir)) return [];
  return readdirSync(p.outputDir)
    .filter((f) => f.endsWith('.mp4'))
    .sort();
}

/**
 * Apply until it exits 0. Every run before must exit 1 (a shot failed in a way a rerun cures), never be refused
 * outright; with `allowed`, each of its FAILED lines must match it.
 */
export async function applyUntilDone(p: Project, server: MockServer, o: { maxRuns?: number; allowed?: RegExp } = {}): Promise<RunResult[]> {
  const runs: RunResult[] = [];
  const maxRuns = o.maxRuns ?? 4;
  for (let i = 0; i < maxRuns; i++) {
    const r = await apply(p, server);
    runs.push(r);
    if (r.code === 0) return runs;
    expect(r.code, r.stderr).toBe(1);
    if (o.allowed) for (const line of linesOf(r.stderr, / FAILED /)) expect(line).toMatch(o.allowed);
  }
  throw new Error(`not done after ${maxRuns} runs:\n${runs.map((r) => r.stderr).join('\n----\n')}`);
}
