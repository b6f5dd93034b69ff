import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, onTestFinished } from 'vitest';
import { runCli } from '../../src/cli/run.js';
import { getLockSchemas, type Lockfile, type LockShot, type LockTake } from '../../src/lock/schema.js';
import { startMockServer, type MockServer, type MockServerOptions } from '../../src/mock/index.js';
import { CLI, ROOT } from '../helpers/build.js';
import { stripDir } from '../helpers/cli.js';
import { launch, type Launched, type RunResult } from '../helpers/launcher.js';

/**
 * End-to-end helpers for `render apply` against a mock server started in the test process on 127.0.0.1, port 0.
 * The CLI runs in this process (`runCli` with injected streams and env, as the binary wires them), except in the
 * tests that SIGKILL it or send it a signal: those spawn the built binary (`spawnRender`). Every test gets its own
 * folder with a small generated spec, so each shot's request body is distinct and the server's duplicate count
 * means "paid twice".
 */

export { ensureBuilt } from '../helpers/build.js';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Resolves once `check()` holds, looked at every `everyMs` (5 ms; more for a check that costs a process); fails after
 * `timeoutMs` saying what it waited for. A wait for an event (the server has seen N submits), never for a stretch of
 * time: how long it took is not asserted.
 */
export async function waitUntil(check: () => boolean, what: string, timeoutMs = 30_000, everyMs = 5): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`waited ${timeoutMs} ms for ${what}`);
    await sleep(everyMs);
  }
}

/**
 * Flags every apply in these tests uses: no prompt, brisk polls, lost submits settled 300 ms after the request
 * was given up, and requests given up after 3 s (an earlier run's unanswered intent is settled that long after
 * it was written).
 */
export const FAST = ['--yes', '--poll-interval', '50ms', '--settle-after', '300ms', '--request-timeout', '3s'] as const;

// ---------------------------------------------------------------------------------------------------------
// Mock server

/**
 * A mock server on 127.0.0.1:0 (or a given port), closed when the test ends. Tasks complete in 150 ms. Like the real
 * API's documented list, it shows no `input` on list items unless a test asks for `listInputs`.
 */
export async function mockServer(options: MockServerOptions = {}): Promise<MockServer> {
  const server = await startMockServer({ completeAfterMs: 150, processingAfterMs: 30, ...options, host: '127.0.0.1' });
  onTestFinished(() => server.close());
  return server;
}

// ---------------------------------------------------------------------------------------------------------
// Projects

const IMAGES = ['hero.png', 'studio.jpg', 'rooftop.png', 'tokyo-night.jpg'] as const;

interface ShotDef {
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
  /** The process lock files in .render/ (one while an apply runs or after it was killed; none once it ended). */
  lockFiles(): string[];
  /** A process lock file name as an apply of this project writes it. */
  lockFileFor(pid: number): string;
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
    lockFiles: () => {
      const dirOf = path.join(dir, '.render');
      if (!existsSync(dirOf)) return [];
      return readdirSync(dirOf)
        .filter((f) => f.startsWith(`${name}.apply.`) && f.endsWith('.json'))
        .map((f) => path.join(dirOf, f));
    },
    lockFileFor: (pid) => path.join(dir, '.render', `${name}.apply.${pid}.0123456789ab.json`),
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

export type { RunResult } from '../helpers/launcher.js';

export interface RunOptions {
  /**
   * The project folder. The binary runs in it; an in-process run cannot change directory, so every path in its
   * arguments must be absolute, and the folder's path is removed from its output, which then reads as the
   * binary's does (paths shown relative to where it runs).
   */
  cwd: string;
  /** The server the run talks to, through WAVESPEED_BASE_URL and WAVESPEED_API_KEY. */
  server?: MockServer;
  env?: Record<string, string>;
  /** Kill the child (SIGKILL) if it runs longer than this (default 60 s): a hung run fails the test, never the suite. */
  timeoutMs?: number;
  /** In-process only: run as if in a terminal, its keyboard this stream (stdin and stderr are TTYs). */
  keyboard?: NodeJS.ReadableStream;
}

export interface Running {
  readonly stdout: string;
  readonly stderr: string;
  /** Resolves once stderr has a line matching `re` `count` times (rejects if the run ends first). */
  waitForStderr(re: RegExp, count?: number): Promise<void>;
  done: Promise<RunResult>;
}

export interface Spawned extends Running {
  child: Launched;
  kill(): Promise<RunResult>;
}

function runEnv(o: RunOptions): Record<string, string> {
  // Only what the run needs: none of the test runner's environment (CI, RENDER_DEBUG, NODE_OPTIONS...) leaks in.
  const env: Record<string, string> = { NO_COLOR: '1' };
  if (o.server) {
    env.WAVESPEED_BASE_URL = o.server.url;
    env.WAVESPEED_API_KEY = o.server.apiKey;
  }
  return { ...env, ...o.env };
}

/** Output collected as it comes, with waiters on stderr lines; `finish` settles the waiters that can no longer match. */
function collector() {
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
  return {
    out: (t: string) => {
      stdout += t;
    },
    err: (t: string) => {
      stderr += t;
      check();
    },
    finish() {
      finished = true;
      check();
    },
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    waitForStderr(re: RegExp, count = 1): Promise<void> {
      return new Promise((resolve, reject) => {
        waiters.push({ re, count, resolve, reject });
        check();
      });
    },
  };
}

/** A path argument that would be resolved against the test runner's working directory (the repository). */
function relativePathArg(args: readonly string[]): string | undefined {
  return args.find((a) => !a.startsWith('-') && /\.(ya?ml|json)$/.test(a) && !path.isAbsolute(a));
}

/**
 * Start `render ARGS` in this process, in the background: `runCli` with string streams, no terminal and no stdin,
 * and only the env of `runEnv`, as the binary run in `o.cwd` would see them.
 */
export function startRender(args: readonly string[], o: RunOptions): Running {
  const rel = relativePathArg(args);
  if (rel !== undefined) throw new Error(`in-process runs need absolute paths (${rel} would resolve against ${process.cwd()}); use project.abs()`);
  const c = collector();
  const strip = (text: string) => stripDir(text, o.cwd);
  const done = runCli(args, {
    stdout: { write: c.out, isTTY: false },
    // A terminal's stderr is a stream: readline listens on it for resizes.
    stderr: o.keyboard ? Object.assign(new EventEmitter(), { write: c.err, isTTY: true }) : { write: c.err, isTTY: false },
    ...(o.keyboard ? { stdin: Object.assign(o.keyboard, { isTTY: true }) } : {}),
    env: runEnv(o),
  }).then(
    (code): RunResult => {
      c.finish();
      return { code, signal: null, stdout: strip(c.stdout), stderr: strip(c.stderr) };
    },
    (err: unknown) => {
      c.finish();
      throw err; // runCli renders every error itself: a rejection is a bug the test must show
    },
  );
  return {
    get stdout() {
      return strip(c.stdout);
    },
    get stderr() {
      return strip(c.stderr);
    },
    waitForStderr: (re, count) => c.waitForStderr(re, count),
    done,
  };
}

const live = new Set<Launched>();

/**
 * Start `render ARGS` as the built binary (dist/cli/main.js) in a child process, in `o.cwd`. Only for what needs
 * a real process: a SIGKILL at any moment, Ctrl-C (SIGINT), the process lock held by another process.
 */
export function spawnRender(args: readonly string[], o: RunOptions): Spawned {
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', ...(process.env.HOME ? { HOME: process.env.HOME } : {}), ...runEnv(o) };
  const child = launch(process.execPath, [CLI, ...args], { cwd: o.cwd, env });
  live.add(child);
  onTestFinished(() => {
    if (live.has(child)) child.kill('SIGKILL');
  });
  const c = collector();
  child.stdout!.setEncoding('utf8').on('data', c.out);
  child.stderr!.setEncoding('utf8').on('data', c.err);
  const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 60_000);
  const done = new Promise<RunResult>((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      live.delete(child);
      c.finish();
      resolve({ code, signal, stdout: c.stdout, stderr: c.stderr });
    });
    child.on('error', (err: Error) => {
      clearTimeout(timer);
      live.delete(child);
      c.finish();
      resolve({ code: null, signal: null, stdout: c.stdout, stderr: `${c.stderr}could not start: ${err.message}\n` });
    });
  });
  return {
    child,
    get stdout() {
      return c.stdout;
    },
    get stderr() {
      return c.stderr;
    },
    waitForStderr: (re, count) => c.waitForStderr(re, count),
    async kill() {
      child.kill('SIGKILL');
      return done;
    },
    done,
  };
}

/** Run `render ARGS` (in-process) to the end. */
export function render(args: readonly string[], o: RunOptions): Promise<RunResult> {
  return startRender(args, o).done;
}

/** `render apply SPEC --yes --poll-interval 50ms --settle-after 300ms ...extra` against `server`, in-process. */
export function apply(p: Project, server: MockServer, extra: readonly string[] = [], target = p.spec, env?: Record<string, string>): Promise<RunResult> {
  return render(['apply', target, ...FAST, ...extra], { cwd: p.dir, server, env });
}

/** A readable failure message for a run that did not exit as expected. */
function describeRun(r: RunResult): string {
  return `exit ${r.code} (signal ${r.signal})\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}

/** Assert an exit code, showing the run's output when it differs. */
export function expectExit(r: RunResult, code: number): void {
  expect(r.code, describeRun(r)).toBe(code);
}

// ---------------------------------------------------------------------------------------------------------
// The lockfile and the outputs

/**
 * The first object (depth first) whose keys are not sorted, with where it is; undefined when every one is. A plain
 * walk, asserted once by the caller: an `expect` per object cost a 15,000-upload lockfile a second of CPU.
 */
function unsortedKeys(value: unknown, where: string): { where: string; keys: string[] } | undefined {
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) {
      const found = unsortedKeys(v, `${where}[${i}]`);
      if (found) return found;
    }
    return undefined;
  }
  if (value === null || typeof value !== 'object') return undefined;
  const keys = Object.keys(value);
  for (let i = 1; i < keys.length; i++) if (keys[i - 1]! > keys[i]!) return { where, keys };
  for (const k of keys) {
    const found = unsortedKeys((value as Record<string, unknown>)[k], `${where}.${k}`);
    if (found) return found;
  }
  return undefined;
}

function assertSortedKeys(value: unknown): void {
  const found = unsortedKeys(value, '');
  if (found) expect(found.keys, `keys of ${found.where || 'the lockfile'} are sorted`).toEqual([...found.keys].sort());
}

/** The shots on the lockfile's one endpoint (each of these tests talks to one server), or on `endpoint`. */
export function shotsOf(lock: Lockfile, endpoint?: string): Record<string, LockShot> {
  const keys = Object.keys(lock.endpoints);
  if (endpoint !== undefined) return lock.endpoints[endpoint]?.shots ?? {};
  expect(keys.length, `one endpoint in the lockfile, got ${keys.join(', ')}`).toBeLessThanOrEqual(1);
  return keys[0] === undefined ? {} : (lock.endpoints[keys[0]]?.shots ?? {});
}

/** Every take of a shot, oldest first. */
export function takesOf(lock: Lockfile, id: string, endpoint?: string): LockTake[] {
  return shotsOf(lock, endpoint)[id]?.takes ?? [];
}

/** A shot's current take. */
export function currentOf(lock: Lockfile, id: string, endpoint?: string): LockTake | undefined {
  const shot = shotsOf(lock, endpoint)[id];
  return shot?.takes.find((t) => t.n === shot.current);
}

/** A shot's newest take (the current one, or an intent that has no prediction yet). */
export function latestOf(lock: Lockfile, id: string, endpoint?: string): LockTake | undefined {
  return takesOf(lock, id, endpoint).at(-1);
}

/**
 * The lockfile as committed: valid JSON, `"version": 2`, keys sorted at every depth (the text, not just the
 * data), a final newline, and the schema's shape. Absent is allowed only when `optional`.
 */
export function readLock(p: Project, optional = false): Lockfile {
  if (!existsSync(p.lockFile)) {
    expect(optional, `${p.lockFile} exists`).toBe(true);
    return { version: 2, name: p.name, spec: 'spec.yaml', lineage: 'none-yet', serial: 0, endpoints: {}, kept: [] };
  }
  const text = readFileSync(p.lockFile, 'utf8');
  let data: unknown;
  expect(() => (data = JSON.parse(text)), 'the lockfile is valid JSON').not.toThrow();
  expect((data as { version?: unknown }).version).toBe(2);
  expect(text.endsWith('}\n')).toBe(true);
  assertSortedKeys(data);
  const parsed = getLockSchemas().LockfileSchema.safeParse(data);
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
    const shot: LockTake | undefined = currentOf(lock, id);
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
  fetch: { id: string; take_n: number; status: string }[];
  warnings: string[];
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
 * Apply (with `extra` flags) until it exits 0. Every run before must exit 1 (a shot failed in a way a rerun cures), never be refused
 * outright; with `allowed`, each of its FAILED lines must match it. Submits whose outcome stays unknown (a run
 * killed between writing an intent and the server creating the prediction leaves no evidence either way) are
 * resolved between runs as a user would (`resolveAsUser`).
 */
export async function applyUntilDone(
  p: Project,
  server: MockServer,
  o: { maxRuns?: number; allowed?: RegExp; env?: Record<string, string>; extra?: readonly string[] } = {},
): Promise<RunResult[]> {
  const runs: RunResult[] = [];
  const maxRuns = o.maxRuns ?? 4;
  for (let i = 0; i < maxRuns; i++) {
    const r = await apply(p, server, o.extra ?? [], p.spec, o.env);
    runs.push(r);
    if (r.code === 0) return runs;
    expect(r.code, r.stderr).toBe(1);
    const allowed = o.allowed;
    if (allowed) for (const line of linesOf(r.stderr, / FAILED /).filter((l) => !/submit outcome unknown/.test(l))) expect(line).toMatch(allowed);
    await resolveAsUser(p, server, o.env);
  }
  throw new Error(`not done after ${maxRuns} runs:\n${runs.map((r) => r.stderr).join('\n----\n')}`);
}

/**
 * What a user does with a submit whose outcome is unknown: look for it in the dashboard (here, the server's own
 * record of what it created) and `render adopt` it, or `render forget` it when it is not there. Returns what was done.
 */
async function resolveAsUser(p: Project, server: MockServer, env?: Record<string, string>): Promise<{ adopted: string[]; forgotten: string[] }> {
  const lock = readLock(p, true);
  const claimed = new Set(Object.values(shotsOf(lock)).flatMap((s) => s.takes.flatMap((t) => (t.prediction_id ? [t.prediction_id] : []))));
  const created = await dashboard(server);
  const done = { adopted: [] as string[], forgotten: [] as string[] };
  for (const [id, shot] of Object.entries(shotsOf(lock))) {
    for (const take of shot.takes.filter((t) => t.status === 'submitting' || t.status === 'unknown')) {
      const match = created.find((c) => !claimed.has(c.id) && c.input.prompt === take.request.prompt && c.input.duration === take.request.duration);
      if (match) {
        claimed.add(match.id);
        expectExit(await render(['adopt', p.spec, id, match.id, '--take', String(take.n)], { cwd: p.dir, server, env }), 0);
        done.adopted.push(id);
      } else {
        expectExit(await render(['forget', p.spec, id, '--take', String(take.n)], { cwd: p.dir, server, env }), 0);
        done.forgotten.push(id);
      }
    }
  }
  return done;
}

export interface ServerPrediction {
  id: string;
  model: string;
  status: string;
  input: Record<string, unknown>;
}

/** Every prediction the server created, newest first, with the body it was submitted with (what the dashboard shows a user). */
export async function dashboard(server: MockServer): Promise<ServerPrediction[]> {
  return (await (await fetch(`${server.url}/__mock/dashboard`)).json()) as ServerPrediction[];
}
