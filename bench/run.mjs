#!/usr/bin/env node
/**
 * Runs every benchmark: each `bench/*-bench.mjs`, in name order, one at a time, each in its own Node process
 * (so one's memory never counts against another's), with its output shown as it comes. Exit code 0 only when
 * every benchmark exits 0 (each checks its own targets and exits non-zero on a miss).
 *
 *   npm run bench                 build, then run them all
 *   node bench/run.mjs plan       only those whose file name contains "plan" (after a build)
 *
 * To add a benchmark, name it `bench/<what>-bench.mjs`: plain Node ESM importing from dist/, printing its figures
 * against its targets, exiting 1 on a miss. Helpers shared by benchmarks go in files without that suffix.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const filters = process.argv.slice(2);
const benches = readdirSync(HERE)
  .filter((f) => f.endsWith('-bench.mjs'))
  .filter((f) => filters.length === 0 || filters.some((w) => f.includes(w)))
  .sort();

if (benches.length === 0) {
  console.error(`bench: no bench/*-bench.mjs${filters.length ? ` matching ${filters.join(', ')}` : ''}`);
  process.exit(2);
}

const results = [];
for (const file of benches) {
  console.log(`\n=== ${file}`);
  const started = performance.now();
  const run = spawnSync(process.execPath, [path.join(HERE, file)], { stdio: 'inherit' });
  const seconds = (performance.now() - started) / 1000;
  results.push({ file, code: run.status ?? (run.signal ? `killed by ${run.signal}` : 'did not run'), seconds });
}

console.log('\n=== summary');
for (const r of results)
  console.log(`  ${r.code === 0 ? 'ok  ' : 'FAIL'}  ${r.file.padEnd(32)} ${r.seconds.toFixed(1).padStart(6)} s${r.code === 0 ? '' : `  (exit ${r.code})`}`);
const failed = results.filter((r) => r.code !== 0).length;
console.log(`bench: ${results.length - failed} passed, ${failed} failed`);
process.exitCode = failed ? 1 : 0;
