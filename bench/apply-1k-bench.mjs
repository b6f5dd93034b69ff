#!/usr/bin/env node
/**
 * Apply benchmark (issue #4): `render apply` of 1,000 shots on the local WaveSpeed-compatible server, each
 * render taking 1 s, 100 in flight. Needs a build (`npx tsc -p tsconfig.build.json`, or `npm run bench`).
 *
 * The mock server runs in this process (127.0.0.1, port 0); the CLI runs as a child process exactly as a user
 * runs it (`render apply SPEC --yes`, WAVESPEED_BASE_URL pointing at the mock), so its wall time and peak RSS
 * are those of a real apply: node start-up, planning and the final compaction included.
 *
 * Figures, per size (250, 500 and 1,000 shots by default):
 *   wall        spawn to exit of the child; `run` is the apply phase alone (the summary's elapsedMs)
 *   ideal       shots / concurrency × render time (1,000 / 100 × 1 s = 10 s)
 *   req/shot    (submissions + polls + lists + uploads + downloads) / shots, from GET /__mock/stats
 *   CPU         user + system CPU time of the child (less sensitive to a busy machine than the wall time);
 *               mock CPU is this process's, the server's, over the same time
 *   peak RSS    process.resourceUsage().maxRSS of the child, recorded at exit by a --import preload
 *   lockfile    final size, and total bytes written by every compaction (the summary's io figures)
 *   journal     total bytes appended
 * Targets: wall ≤ 1.2 × ideal at the largest size; lockfile + journal bytes written per shot roughly constant
 * across sizes (linear I/O, not quadratic). Exit code 1 on a miss or if any shot is not rendered. Below ~250
 * shots the store's floor of 256 journal records between compactions dominates, so compare sizes from 250 up.
 *
 * Environment knobs (all optional):
 *   BENCH_APPLY_SIZES=250,500,1000   sizes to run; the wall-time target applies to the largest
 *   BENCH_APPLY_RUNS=3               runs of the largest size; the target is checked on the best (other load on
 *                                    the machine only ever adds time), every run is shown
 *   BENCH_APPLY_CONCURRENCY=100      --concurrency
 *   BENCH_APPLY_RENDER_MS=1000       the mock's completeAfterMs
 *   BENCH_APPLY_POLL_MS=<ms>         --poll-interval (default: render time + 2 %, see pollIntervalMs below)
 *   BENCH_APPLY_KEEP=1               keep the temporary folders (their paths are printed)
 *   BENCH_APPLY_CPU_PROF=1           run the child with --cpu-prof (profiles land in the kept folder)
 *   BENCH_APPLY_PRELOAD=file.mjs      one more --import for the child (diagnostics: timers, fs wrappers)
 *   BENCH_APPLY_TRACE=1              time every request on the server and print where each shot's time goes: render,
 *                                    then the wait until its last poll arrives (the client's poll timing); with
 *                                    BENCH_APPLY_KEEP the raw log and predictions stay in the folder
 */
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, closeSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = path.join(ROOT, 'dist', 'cli', 'main.js');
const MOCK = path.join(ROOT, 'dist', 'mock', 'index.js');

const SIZES = (process.env.BENCH_APPLY_SIZES ?? '250,500,1000')
  .split(',')
  .map((s) => Number(s.trim()))
  .filter((n) => Number.isInteger(n) && n > 0)
  .sort((a, b) => a - b);
const RUNS = intEnv('BENCH_APPLY_RUNS', 3);
const CONCURRENCY = intEnv('BENCH_APPLY_CONCURRENCY', 100);
const RENDER_MS = intEnv('BENCH_APPLY_RENDER_MS', 1000);
const POLL_MS = intEnv('BENCH_APPLY_POLL_MS', pollIntervalMs(RENDER_MS));
const KEEP = Boolean(process.env.BENCH_APPLY_KEEP);
const CPU_PROF = Boolean(process.env.BENCH_APPLY_CPU_PROF);
const TRACE = Boolean(process.env.BENCH_APPLY_TRACE);
const EXTRA_PRELOAD = process.env.BENCH_APPLY_PRELOAD;

/** The summary's io figures (`--json` keys are snake_case, docs/SPEC.md "JSON output"). */
function ioFigures(io) {
  return io && { lockfileBytes: io.lockfile_bytes, lockfileWrites: io.lockfile_writes, journalBytes: io.journal_bytes, journalRecords: io.journal_records };
}

/** Targets (issue #4). */
const WALL_FACTOR = 1.2;
/** Bytes written per shot at the largest size over that at the smallest: 1 when linear, sizes-ratio when quadratic. */
const IO_GROWTH_MAX = 1.5;

/** A few small valid JPEGs from assets/, copied next to the spec, one per scene (4 distinct contents → 4 uploads). */
const IMAGES = ['studio.jpg', 'paris-dawn.jpg', 'product-closeup.jpg', 'tokyo-dawn.jpg'];
const SCENES = ['beach', 'city', 'desert', 'forest', 'harbor', 'market', 'meadow', 'rooftop', 'studio', 'subway'];
const MOODS = ['calm', 'bright', 'moody', 'playful', 'dramatic'];

/**
 * The poll interval. Without --mock, apply polls with the default growth (×1.5 per poll; the first wait is exact,
 * later ones get ±10 % jitter, never below the interval): a first poll shortly after the render finishes catches
 * nearly every shot with one poll, while a short interval overshoots (250 ms → polls at 0.25, 0.63, 1.19 s;
 * 200 ms → 0.2, 0.5, 0.95, 1.63 s) and costs more requests. 2 % over the render time leaves room for the
 * server's timers and the round trip (the "poll" column shows whether any first poll came too early: it would
 * read more than one poll per shot).
 */
function pollIntervalMs(renderMs) {
  return Math.ceil(renderMs * 1.02);
}

function intEnv(name, fallback) {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got ${JSON.stringify(v)}`);
  return n;
}

/** The spec: `shots` distinct prompts from a matrix (scene × mood × n), durations 3, 4 and 5 s in thirds. */
function writeWorkspace(dir, shots) {
  mkdirSync(path.join(dir, 'img'), { recursive: true });
  for (const [i, scene] of SCENES.entries()) copyFileSync(path.join(ROOT, 'assets', IMAGES[i % IMAGES.length]), path.join(dir, 'img', `${scene}.jpg`));
  const combos = SCENES.length * MOODS.length;
  if (shots % combos !== 0) throw new Error(`the shot count must be a multiple of ${combos}, got ${shots}`);
  const perCombo = shots / combos;
  // n = 0..perCombo-1, split into three ranges, one per duration.
  const cut = [0, Math.round(perCombo / 3), Math.round((2 * perCombo) / 3), perCombo];
  const entries = [];
  for (const [k, duration] of [3, 4, 5].entries()) {
    const ns = [];
    for (let n = cut[k]; n < cut[k + 1]; n++) ns.push(n);
    if (ns.length === 0) continue;
    entries.push(
      `  - id: d${duration}-{{scene}}-{{mood}}-{{n}}`,
      '    matrix:',
      `      scene: [${SCENES.join(', ')}]`,
      `      mood: [${MOODS.join(', ')}]`,
      `      n: [${ns.join(', ')}]`,
      '    image: img/{{scene}}.jpg',
      `    duration: ${duration}`,
      `    prompt: "Take {{n}}: a {{mood}} ${duration}-second shot in the {{scene}}, slow dolly in, soft light, the {{brand}} sneaker in frame."`,
    );
  }
  const spec = path.join(dir, 'bench.yaml');
  writeFileSync(
    spec,
    [
      'version: 1',
      'name: bench',
      `budget: { max_usd: ${Math.ceil(shots * 5 * 0.42 * 2)} }`,
      `max_shots: ${shots}`,
      'vars:',
      '  brand: Aster',
      'shots:',
      ...entries,
      '',
    ].join('\n'),
  );
  return spec;
}

/**
 * Loaded with --import into the child: at exit, its peak RSS (process.resourceUsage().maxRSS, in KiB; the same
 * figure as `/usr/bin/time -v`'s "Maximum resident set size") and CPU time (user + system, µs). An 'exit' listener
 * runs on a normal return and on process.exit() alike; only a fatal signal would skip it (shown as ?).
 */
const USAGE_PRELOAD = `import { writeFileSync } from 'node:fs';
const file = process.env.RENDER_BENCH_USAGE_FILE;
if (file) process.on('exit', () => {
  const u = process.resourceUsage();
  try { writeFileSync(file, JSON.stringify({ maxRssKiB: u.maxRSS, cpuUs: u.userCPUTime + u.systemCPUTime })); } catch {}
});
`;

function runChild(args, env, stdoutFile, cwd) {
  return new Promise((resolve, reject) => {
    const out = openSync(stdoutFile, 'w');
    const child = spawn(process.execPath, args, { cwd, env, stdio: ['ignore', out, 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d) => {
      stderr = (stderr + d).slice(-20_000);
    });
    const started = performance.now();
    child.on('error', (err) => {
      closeSync(out);
      reject(err);
    });
    child.on('close', (code, signal) => {
      closeSync(out);
      resolve({ code, signal, wallMs: performance.now() - started, stderr });
    });
  });
}

const pct = (sorted, f) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * f))];
const spread = (values) => {
  const v = [...values].sort((a, b) => a - b);
  if (v.length === 0) return 'none';
  return `mean ${Math.round(v.reduce((a, b) => a + b, 0) / v.length)}, p50 ${Math.round(pct(v, 0.5))}, p90 ${Math.round(pct(v, 0.9))}, max ${Math.round(v[v.length - 1])} ms`;
};

/**
 * Where each shot's time goes, as the server saw it: its render (created → finished, the mock's timers), and
 * created → the arrival of its last poll (render + the client's poll overshoot). The rest of a slot's time is
 * the client's own: recording the intent, the submit's round trip, recording the completion.
 */
function summarizeTrace(lines, predictions) {
  const lastPoll = new Map();
  let first = Infinity;
  let last = 0;
  for (const line of lines) {
    const m = /^(\d+) mock: (\w+) (\S+) (\S+) (\d+)ms$/.exec(line);
    if (!m) continue;
    const arrived = Number(m[1]) - Number(m[5]);
    if (m[3].startsWith('/__mock/')) continue;
    first = Math.min(first, arrived);
    last = Math.max(last, Number(m[1]));
    const poll = /^\/api\/v3\/predictions\/([^/]+)\/result$/.exec(m[3]);
    if (poll) lastPoll.set(poll[1], Math.max(lastPoll.get(poll[1]) ?? 0, arrived));
  }
  const created = predictions.map((p) => ({ id: p.id, at: Date.parse(p.created_at), render: p.timings?.inference ?? 0 }));
  const toPoll = created.filter((p) => lastPoll.has(p.id)).map((p) => lastPoll.get(p.id) - p.at);
  return [
    `first to last request on the server ${sec(last - first)}`,
    `render (created → finished): ${spread(created.map((p) => p.render))}`,
    `created → last poll arrives: ${spread(toPoll)}`,
  ];
}

/** Every prediction on the mock (for BENCH_APPLY_TRACE): id, created_at, timings. */
async function listPredictions(mock) {
  const all = [];
  for (let page = 1; ; page++) {
    const res = await fetch(`${mock.url}/api/v3/predictions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${mock.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ page, page_size: 100 }),
    });
    const items = (await res.json()).data?.items ?? [];
    all.push(...items.map((p) => ({ id: p.id, created_at: p.created_at, status: p.status, timings: p.timings })));
    if (items.length < 100) return all;
  }
}

async function benchSize(startMockServer, shots) {
  const dir = mkdtempSync(path.join(tmpdir(), `render-apply-bench-${shots}-`));
  const spec = writeWorkspace(dir, shots);
  const preload = path.join(dir, 'usage-preload.mjs');
  writeFileSync(preload, USAGE_PRELOAD);
  const usageFile = path.join(dir, 'usage.json');
  const stdoutFile = path.join(dir, 'apply.ndjson');
  const trace = [];
  const mock = await startMockServer({
    host: '127.0.0.1',
    port: 0,
    completeAfterMs: RENDER_MS,
    maxConcurrentTasks: CONCURRENCY,
    balanceUsd: 1_000_000,
    ...(TRACE ? { log: (line) => trace.push(`${Date.now()} ${line}`) } : {}),
  });
  let result;
  try {
    const args = [
      '--import',
      pathToFileURL(preload).href,
      ...(EXTRA_PRELOAD ? ['--import', pathToFileURL(path.resolve(EXTRA_PRELOAD)).href] : []),
      ...(CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', path.join(dir, 'prof')] : []),
      CLI,
      'apply',
      spec,
      '--yes',
      '--json',
      '--concurrency',
      String(CONCURRENCY),
      '--poll-interval',
      `${POLL_MS}ms`,
    ];
    const env = {
      ...process.env,
      WAVESPEED_BASE_URL: mock.url,
      WAVESPEED_API_KEY: mock.apiKey,
      RENDER_BENCH_USAGE_FILE: usageFile,
      NO_COLOR: '1',
    };
    delete env.NODE_OPTIONS;
    const cpuBefore = process.cpuUsage();
    result = await runChild(args, env, stdoutFile, dir);
    const cpu = process.cpuUsage(cpuBefore);
    result.mockCpuMs = (cpu.user + cpu.system) / 1000;
    const stats = await (await fetch(`${mock.url}/__mock/stats`)).json();
    result.stats = stats;
    if (TRACE) result.predictions = await listPredictions(mock);
  } finally {
    await mock.close();
  }
  if (TRACE) {
    writeFileSync(path.join(dir, 'mock-trace.log'), `${trace.join('\n')}\n`);
    writeFileSync(path.join(dir, 'predictions.json'), JSON.stringify(result.predictions));
    result.traceSummary = summarizeTrace(trace, result.predictions);
  }
  const events = readFileSync(stdoutFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      try {
        return JSON.parse(l);
      } catch {
        return undefined;
      }
    });
  const summary = events.find((e) => e?.type === 'summary')?.summary;
  const lockFile = path.join(dir, 'bench.lock.json');
  const journalFile = path.join(dir, '.render', 'bench.journal.ndjson');
  const outputs = existsSync(path.join(dir, 'renders', 'bench')) ? readdirSync(path.join(dir, 'renders', 'bench')).filter((f) => f.endsWith('.mp4')).length : 0;
  let usage = {};
  try {
    usage = JSON.parse(readFileSync(usageFile, 'utf8'));
  } catch {
    // no figures: shown as ?
  }
  const s = result.stats;
  const requests = s.submissions + s.polls + s.lists + s.uploads + s.downloads;
  const fig = {
    shots,
    dir,
    code: result.code,
    signal: result.signal,
    stderr: result.stderr,
    wallMs: result.wallMs,
    runMs: summary?.elapsed_ms,
    idealMs: (shots / CONCURRENCY) * RENDER_MS,
    done: summary?.done ?? 0,
    failed: summary?.failed?.length ?? 0,
    skipped: summary?.skipped?.length ?? 0,
    outputs,
    requests,
    stats: s,
    rssBytes: usage.maxRssKiB === undefined ? undefined : usage.maxRssKiB * 1024,
    cpuMs: usage.cpuUs === undefined ? undefined : usage.cpuUs / 1000,
    mockCpuMs: result.mockCpuMs,
    lockfileFinal: existsSync(lockFile) ? statSync(lockFile).size : 0,
    journalFinal: existsSync(journalFile) ? statSync(journalFile).size : 0,
    io: ioFigures(summary?.io),
    traceSummary: result.traceSummary,
  };
  if (!KEEP) rmSync(dir, { recursive: true, force: true });
  return fig;
}

const mb = (b) => (b === undefined ? '?' : `${(b / 1024 / 1024).toFixed(1)} MB`);
const kb = (b) => (b === undefined ? '?' : b >= 1024 * 1024 ? mb(b) : `${(b / 1024).toFixed(1)} KB`);
const sec = (ms) => (ms === undefined ? '?' : `${(ms / 1000).toFixed(2)} s`);

function table(rows) {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => String(r[c]).length)));
  return rows.map((r) => r.map((v, c) => (c === 0 ? String(v).padEnd(widths[c]) : String(v).padStart(widths[c]))).join('  ')).join('\n');
}

async function main() {
  if (!existsSync(CLI) || !existsSync(MOCK)) {
    console.error('apply bench: dist/ is missing; build first (npx tsc -p tsconfig.build.json, or npm run bench)');
    return 2;
  }
  if (SIZES.length === 0) {
    console.error('apply bench: BENCH_APPLY_SIZES lists no sizes');
    return 2;
  }
  const { startMockServer } = await import(pathToFileURL(MOCK).href);
  console.log(
    `apply benchmark (issue #4): render apply on the local mock server, renders take ${RENDER_MS} ms, --concurrency ${CONCURRENCY}, ` +
      `--poll-interval ${POLL_MS}ms; node ${process.version}, ${availableParallelism()} CPUs, load average ${loadavg()[0].toFixed(2)}`,
  );
  /** Every run, in order; `figs` has one per size (the best run of the largest). */
  const runs = [];
  for (const shots of SIZES) {
    const times = shots === SIZES[SIZES.length - 1] ? RUNS : 1;
    for (let i = 1; i <= times; i++) {
      process.stdout.write(`  ${shots} shots${times > 1 ? ` (run ${i} of ${times})` : ''} ... `);
      const load = loadavg()[0];
      const f = await benchSize(startMockServer, shots);
      Object.assign(f, { run: i, of: times, load });
      runs.push(f);
      console.log(`${sec(f.wallMs)}${KEEP ? ` (kept: ${f.dir})` : ''}`);
      for (const line of f.traceSummary ?? []) console.log(`    ${line}`);
    }
  }
  const figs = SIZES.map((shots) => runs.filter((f) => f.shots === shots).reduce((a, b) => (b.wallMs < a.wallMs ? b : a)));

  console.log('');
  const label = (f) => `${f.shots}${f.of > 1 ? ` #${f.run}${figs.includes(f) ? '*' : ''}` : ''}`;
  const timing = [
    ['shots', 'load', 'wall', 'run', 'ideal', 'wall/ideal', 'req/shot', 'submit', 'poll', 'list', 'upload', 'download', 'CPU', 'mock CPU', 'peak RSS'],
  ];
  const io = [['shots', 'lockfile', 'journal left', 'lock written', 'writes', 'journal written', 'records', 'lock B/shot', 'journal B/shot', 'total B/shot']];
  for (const f of runs) {
    const s = f.stats;
    const lockW = f.io?.lockfileBytes;
    const jW = f.io?.journalBytes;
    timing.push([
      label(f),
      f.load.toFixed(1),
      sec(f.wallMs),
      sec(f.runMs),
      sec(f.idealMs),
      `${(f.wallMs / f.idealMs).toFixed(2)}×`,
      (f.requests / f.shots).toFixed(2),
      s.submissions,
      s.polls,
      s.lists,
      s.uploads,
      s.downloads,
      sec(f.cpuMs),
      sec(f.mockCpuMs),
      mb(f.rssBytes),
    ]);
    io.push([
      label(f),
      kb(f.lockfileFinal),
      kb(f.journalFinal),
      kb(lockW),
      f.io?.lockfileWrites ?? '?',
      kb(jW),
      f.io?.journalRecords ?? '?',
      lockW === undefined ? '?' : Math.round(lockW / f.shots),
      jW === undefined ? '?' : Math.round(jW / f.shots),
      lockW === undefined || jW === undefined ? '?' : Math.round((lockW + jW) / f.shots),
    ]);
  }
  console.log(table(timing));
  console.log('');
  console.log(table(io));
  console.log(
    `wall: spawn to exit of \`render apply\`; run: its apply phase (summary elapsedMs); load: 1-minute load average before the run${RUNS > 1 ? '; * best run' : ''};`,
  );
  console.log('lockfile: its final size; written: total bytes of every compaction (lockfile) or append (journal), from the apply summary');
  console.log('');

  const checks = [];
  const check = (ok, text) => checks.push({ ok, text });
  for (const f of runs) {
    const rendered =
      f.code === 0 &&
      f.done === f.shots &&
      f.failed === 0 &&
      f.skipped === 0 &&
      f.outputs === f.shots &&
      f.stats.submissions === f.shots &&
      f.stats.duplicateSubmissions === 0;
    if (rendered) continue;
    check(
      false,
      `${f.shots} shots${f.of > 1 ? ` (run ${f.run})` : ''}: not every shot rendered once (exit ${f.code ?? f.signal}, done ${f.done}, failed ${f.failed}, ` +
        `skipped ${f.skipped}, ${f.outputs} videos, ${f.stats.submissions} submissions, ${f.stats.duplicateSubmissions} paid twice)`,
    );
    if (f.stderr.trim()) console.error(`--- stderr of the ${f.shots}-shot apply (tail) ---\n${f.stderr.trim().split('\n').slice(-20).join('\n')}\n---`);
  }
  if (checks.length === 0)
    check(true, `every run rendered every shot exactly once (${runs.length} runs, ${runs.reduce((n, f) => n + f.shots, 0)} shots, 0 failed, 0 paid twice)`);
  for (const f of runs) if (!f.io) check(false, `${f.shots} shots: the apply summary carries no io figures (lockfile/journal bytes)`);
  const big = figs[figs.length - 1];
  const limit = WALL_FACTOR * big.idealMs;
  const bigRuns = runs.filter((f) => f.shots === big.shots);
  check(
    big.wallMs <= limit,
    `wall time, ${big.shots} shots: ${sec(big.wallMs)} ≤ ${WALL_FACTOR} × ideal ${sec(big.idealMs)} = ${sec(limit)} ` +
      `(${(big.wallMs / big.idealMs).toFixed(2)}×${bigRuns.length > 1 ? `, best of ${bigRuns.map((f) => sec(f.wallMs)).join(', ')}` : ''}; apply phase alone ${sec(big.runMs)})`,
  );
  const small = figs[0];
  if (figs.length > 1 && small.io && big.io) {
    const per = (f) => (f.io.lockfileBytes + f.io.journalBytes) / f.shots;
    const growth = per(big) / per(small);
    const quadratic = big.shots / small.shots;
    check(
      growth <= IO_GROWTH_MAX,
      `lockfile + journal I/O linear in shots: ${Math.round(per(small))} B/shot at ${small.shots} → ${Math.round(per(big))} B/shot at ${big.shots} ` +
        `(×${growth.toFixed(2)} ≤ ×${IO_GROWTH_MAX}; quadratic would be ×${quadratic.toFixed(1)})`,
    );
    const lockGrowth = big.io.lockfileBytes / big.shots / (small.io.lockfileBytes / small.shots);
    check(
      lockGrowth <= IO_GROWTH_MAX,
      `lockfile bytes written per shot: ${Math.round(small.io.lockfileBytes / small.shots)} → ${Math.round(big.io.lockfileBytes / big.shots)} (×${lockGrowth.toFixed(2)} ≤ ×${IO_GROWTH_MAX})`,
    );
  } else if (figs.length < 2) {
    console.log('(one size only: the linear-I/O target needs two sizes)');
  }
  for (const c of checks) console.log(`${c.ok ? 'PASS' : 'MISS'}  ${c.text}`);

  const outDir = path.join(ROOT, '.bench');
  try {
    mkdirSync(outDir, { recursive: true });
    writeFileSync(
      path.join(outDir, 'apply-1k.json'),
      `${JSON.stringify(
        {
          at: new Date().toISOString(),
          node: process.version,
          concurrency: CONCURRENCY,
          renderMs: RENDER_MS,
          pollMs: POLL_MS,
          runs: runs.map(({ stderr, dir, traceSummary, ...f }) => f),
          checks,
        },
        null,
        2,
      )}\n`,
    );
  } catch {
    // the figures are printed; the JSON copy is a convenience
  }
  return checks.every((c) => c.ok) ? 0 : 1;
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
