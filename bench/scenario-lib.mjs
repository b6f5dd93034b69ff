/**
 * Shared by the scenario benchmarks (issue #14): a spec of shots of given durations, `render apply` and the SDK
 * loop as child processes on warped time (bench/time-warp.mjs), the mock's predictions, and the ideal wall time
 * of a set of renders. Not a benchmark itself (no -bench suffix).
 */
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = path.join(ROOT, 'dist', 'cli', 'main.js');
export const MOCK = path.join(ROOT, 'dist', 'mock', 'index.js');
const WARP = pathToFileURL(path.join(ROOT, 'bench', 'time-warp.mjs')).href;
const SDK_POOL = path.join(ROOT, 'bench', 'sdk-pool.mjs');
const MODEL = 'kwaivgi/kling-v3.0-4k/image-to-video';

/** At exit, the child's peak RSS and CPU time (process.resourceUsage), written to RENDER_BENCH_USAGE_FILE. */
const USAGE_PRELOAD = `import { writeFileSync } from 'node:fs';
const file = process.env.RENDER_BENCH_USAGE_FILE;
if (file) process.on('exit', () => {
  const u = process.resourceUsage();
  try { writeFileSync(file, JSON.stringify({ maxRssKiB: u.maxRSS, cpuUs: u.userCPUTime + u.systemCPUTime })); } catch {}
});
`;

/** Durations 3..15 s in an order that mixes long and short: shot i has 3 + (7 i mod 13) seconds. */
export function durations(count) {
  return Array.from({ length: count }, (_, i) => 3 + ((7 * i) % 13));
}

/** A spec of one shot per duration, each with its own prompt, all from one image. */
export function writeSpec(dir, name, ds, concurrency, variant = '') {
  mkdirSync(path.join(dir, 'img'), { recursive: true });
  copyFileSync(path.join(ROOT, 'assets', 'studio.jpg'), path.join(dir, 'img', 'studio.jpg'));
  const shots = ds.flatMap((d, i) => [
    `  - id: s${String(i + 1).padStart(3, '0')}`,
    '    image: img/studio.jpg',
    `    duration: ${d}`,
    `    prompt: "Shot ${i + 1}${variant}: a ${d}-second slow dolly in on the sneaker, soft light."`,
  ]);
  const budget = Math.ceil(ds.reduce((a, b) => a + b, 0) * 0.42 * 2);
  const spec = path.join(dir, `${name}.yaml`);
  const lines = [
    'version: 1',
    `name: ${name}`,
    `budget: { max_usd: ${budget} }`,
    `max_shots: ${ds.length}`,
    `concurrency: ${concurrency}`,
    'shots:',
    ...shots,
    '',
  ];
  writeFileSync(spec, lines.join('\n'));
  return spec;
}

/** The SDK's jobs for the same shots (the image is uploaded once by the loop and put in place of $IMAGE). */
export function sdkJobs(ds) {
  return ds.map((d, i) => ({
    model: MODEL,
    input: { image: '$IMAGE', prompt: `Shot ${i + 1}: a ${d}-second slow dolly in on the sneaker, soft light.`, duration: d },
  }));
}

function runNode(args, env, cwd) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr = (stderr + d).slice(-20_000)));
    const started = performance.now();
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, realWallMs: performance.now() - started, stdout, stderr }));
  });
}

function childEnv(dir, mock, scale, origin) {
  const env = {
    ...process.env,
    WAVESPEED_BASE_URL: mock.url,
    WAVESPEED_API_KEY: mock.apiKey,
    RENDER_BENCH_USAGE_FILE: path.join(dir, 'usage.json'),
    RENDER_BENCH_TIME_SCALE: String(scale),
    RENDER_BENCH_TIME_ORIGIN: String(origin),
    NO_COLOR: '1',
  };
  delete env.NODE_OPTIONS;
  delete env.CI;
  return env;
}

function usageOf(dir) {
  try {
    const u = JSON.parse(readFileSync(path.join(dir, 'usage.json'), 'utf8'));
    return { rssBytes: u.maxRssKiB * 1024, cpuMs: u.cpuUs / 1000 };
  } catch {
    return {};
  }
}

/**
 * `render apply SPEC --yes --json ...args` on warped time; its summary as printed (snake_case: docs/SPEC.md "JSON
 * output"), with its `elapsed_ms` (scenario time) also as `elapsedMs`.
 */
export async function renderApply({ dir, spec, mock, args, scale, origin }) {
  const preload = path.join(dir, 'usage-preload.mjs');
  writeFileSync(preload, USAGE_PRELOAD);
  const argv = ['--import', WARP, '--import', pathToFileURL(preload).href, CLI, 'apply', spec, '--yes', '--json', ...args];
  const r = await runNode(argv, childEnv(dir, mock, scale, origin), dir);
  const events = r.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      try {
        return JSON.parse(l);
      } catch {
        return undefined;
      }
    });
  const printed = events.find((e) => e?.type === 'summary')?.summary;
  const summary = printed && { ...printed, elapsedMs: printed.elapsed_ms };
  return { ...r, summary, ...usageOf(dir) };
}

/** The official SDK in a Promise pool (bench/sdk-pool.mjs) on warped time. */
export async function sdkLoop({ dir, mock, jobs, concurrency, pollSeconds, scale, origin }) {
  const out = path.join(dir, 'sdk-out');
  mkdirSync(out, { recursive: true });
  const preload = path.join(dir, 'usage-preload.mjs');
  writeFileSync(preload, USAGE_PRELOAD);
  const env = {
    ...childEnv(dir, mock, scale, origin),
    SDK_BASE_URL: mock.url,
    SDK_API_KEY: mock.apiKey,
    SDK_JOBS: JSON.stringify(jobs),
    SDK_CONCURRENCY: String(concurrency),
    SDK_POLL_SECONDS: String(pollSeconds),
    SDK_IMAGE: path.join(ROOT, 'assets', 'studio.jpg'),
    SDK_OUT: out,
  };
  const r = await runNode(['--import', WARP, '--import', pathToFileURL(preload).href, SDK_POOL], env, ROOT);
  const line = r.stdout.trim().split('\n').pop();
  let figures = {};
  try {
    figures = JSON.parse(line);
  } catch {
    // shown as ?
  }
  return { ...r, ...figures, outputs: readdirSync(out).length, ...usageOf(dir) };
}

/** Every prediction on the mock: id, created_at (ms), status, timings.inference. */
export async function predictionsOf(mock) {
  const all = [];
  for (let page = 1; ; page++) {
    const res = await fetch(`${mock.url}/api/v3/predictions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${mock.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ page, page_size: 100 }),
    });
    const items = (await res.json()).data?.items ?? [];
    all.push(...items.map((p) => ({ id: p.id, createdAt: Date.parse(p.created_at), status: p.status, renderMs: p.timings?.inference ?? 0 })));
    if (items.length < 100) return all.sort((a, b) => a.createdAt - b.createdAt);
  }
}

/** The renders' own times packed on `slots` in submit order, each starting as soon as a slot is free. */
export function packed(renderMs, slots) {
  const free = Array.from({ length: slots }, () => 0);
  for (const ms of renderMs) {
    const i = free.indexOf(Math.min(...free));
    free[i] += ms;
  }
  return Math.max(...free);
}

export const sec = (ms) => (ms === undefined || Number.isNaN(ms) ? '?' : `${(ms / 1000).toFixed(2)} s`);

export function table(rows) {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => String(r[c]).length)));
  return rows.map((r) => r.map((v, c) => (c === 0 ? String(v).padEnd(widths[c]) : String(v).padStart(widths[c]))).join('  ')).join('\n');
}
