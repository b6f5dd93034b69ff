#!/usr/bin/env node
/**
 * Start-up (issue #14): CPU time (user + system) of `render --version`, `render plan specs/spring-launch.yaml` and
 * `node -e 0`, each run BENCH_STARTUP_RUNS (default 10) times in turn, median shown with min and max. Each child
 * records its own process.resourceUsage() at exit (a one-line --import preload, the same for all three, node -e 0
 * included). A command runs from dist/cli/run.bundle.cjs with V8's code cache (docs/ARCHITECTURE.md "Start-up"),
 * kept here in a temporary XDG_CACHE_HOME: the first round, not counted, makes it, as a user's first run does; the
 * last line is `render plan` without it, for comparison.
 * Target (printed, not asserted): render within 1.5× node -e 0. Which modules each command loads is a test, not a
 * figure: test/cli/lazy-load.test.ts (plan, validate, status and schema never load undici, the mock server or
 * cli-progress).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = path.join(ROOT, 'dist', 'cli', 'main.js');
const RUNS = Number(process.env.BENCH_STARTUP_RUNS ?? 10);
const dir = mkdtempSync(path.join(tmpdir(), 'render-startup-'));
const usageFile = path.join(dir, 'usage.json');
const preload = path.join(dir, 'usage.mjs');
writeFileSync(
  preload,
  `import { writeFileSync } from 'node:fs';
process.on('exit', () => { const u = process.resourceUsage(); writeFileSync(${JSON.stringify(usageFile)}, JSON.stringify({ cpuUs: u.userCPUTime + u.systemCPUTime, rssKiB: u.maxRSS })); });
`,
);

const commands = [
  { label: 'node -e 0', args: ['-e', '0'] },
  { label: 'render --version', args: [CLI, '--version'] },
  { label: 'render plan specs/spring-launch.yaml', args: [CLI, 'plan', 'specs/spring-launch.yaml'] },
  // what every start cost without the code cache (a first run, or NODE_DISABLE_COMPILE_CACHE=1): shown, no target
  { label: '  the same, no code cache', args: [CLI, 'plan', 'specs/spring-launch.yaml'], env: { NODE_DISABLE_COMPILE_CACHE: '1' } },
];
const env = { ...process.env, NO_COLOR: '1', XDG_CACHE_HOME: path.join(dir, 'cache') };
delete env.NODE_DISABLE_COMPILE_CACHE;
delete env.NODE_OPTIONS;
const samples = new Map(commands.map((c) => [c.label, []]));
for (let i = 0; i < RUNS + 1; i++) {
  for (const c of commands) {
    const r = spawnSync(process.execPath, ['--import', pathToFileURL(preload).href, ...c.args], { cwd: ROOT, env: { ...env, ...c.env }, stdio: 'ignore' });
    if (r.status !== 0) throw new Error(`${c.label} exited ${r.status}`);
    if (i > 0) samples.get(c.label).push(JSON.parse(readFileSync(usageFile, 'utf8')).cpuUs / 1000); // run 0 makes the code cache, warms the OS's
  }
}
rmSync(dir, { recursive: true, force: true });

const median = (v) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const base = median(samples.get('node -e 0'));
console.log(
  `start-up (issue #14): CPU time (user + system), median of ${RUNS}; node ${process.version}, ${availableParallelism()} CPUs, load ${loadavg()[0].toFixed(1)}`,
);
for (const c of commands) {
  const v = samples.get(c.label);
  const m = median(v);
  console.log(
    `  ${c.label.padEnd(38)} ${(m / 1000).toFixed(3)} s  (min ${(Math.min(...v) / 1000).toFixed(3)}, max ${(Math.max(...v) / 1000).toFixed(3)})  ${(m / base).toFixed(2)}× node -e 0` +
      (m / base > 1.5 && !c.env ? '  (over the target: docs/ARCHITECTURE.md "Start-up")' : ''),
  );
}
console.log('target: render --version and render plan within 1.5× node -e 0');
