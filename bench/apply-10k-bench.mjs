#!/usr/bin/env node
/**
 * 10,000 in flight from one process (issue #14): `render apply` of 10,000 shots with --concurrency 10000 against
 * the local server (which runs them all at once, each render 5 s), next to 1,000 shots at 1,000 in flight, so
 * that bytes written per shot can be compared across sizes (linear I/O: about the same per shot).
 *
 *   wall        the apply phase (its summary's elapsedMs); spawn to exit in brackets (start-up, planning, the
 *               final compaction included)
 *   peak RSS    of the render process (process.resourceUsage().maxRSS at exit); target < 1 GB
 *   B/shot      lockfile bytes written by every compaction + journal bytes appended, per shot
 *   req/shot    submits + polls + uploads + downloads per shot, from the server's stats
 * Figures are printed, not asserted; exit code 1 only if a run fails to render every shot exactly once.
 *
 * env: BENCH_10K_SIZES=1000,10000, BENCH_10K_RENDER_MS=5000
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { durations, MOCK, renderApply, sec, table, writeSpec } from './scenario-lib.mjs';

const SIZES = (process.env.BENCH_10K_SIZES ?? '1000,10000').split(',').map(Number);
const RENDER_MS = Number(process.env.BENCH_10K_RENDER_MS ?? 5000);
const mb = (b) => (b === undefined ? '?' : `${(b / 1024 / 1024).toFixed(0)} MB`);

const { startMockServer } = await import(pathToFileURL(MOCK).href);
console.log(
  `10,000 in flight (issue #14): render apply with --concurrency = shots, every render ${RENDER_MS} ms on the local server; ` +
    `node ${process.version}, ${availableParallelism()} CPUs, load ${loadavg()[0].toFixed(1)}`,
);
const rows = [['shots', 'wall (process)', 'peak RSS', 'CPU', 'lock B/shot', 'journal B/shot', 'B/shot', 'lock writes', 'req/shot', 'done']];
const failures = [];
for (const shots of SIZES) {
  const dir = mkdtempSync(path.join(tmpdir(), `render-10k-bench-${shots}-`));
  const mock = await startMockServer({ host: '127.0.0.1', port: 0, completeAfterMs: RENDER_MS, balanceUsd: 1_000_000 });
  try {
    process.stdout.write(`  ${shots} shots ... `);
    const spec = writeSpec(
      dir,
      'big',
      durations(shots).map(() => 3),
      shots,
    );
    const r = await renderApply({ dir, spec, mock, args: ['--concurrency', String(shots), '--poll-interval', '1s'], scale: 1, origin: Date.now() });
    const stats = await (await fetch(`${mock.url}/__mock/stats`)).json();
    // `--json` keys are snake_case (docs/SPEC.md "JSON output").
    const s = r.summary && { done: r.summary.done, elapsedMs: r.summary.elapsed_ms };
    const raw = r.summary?.io;
    const io = raw && { lockfileBytes: raw.lockfile_bytes, lockfileWrites: raw.lockfile_writes, journalBytes: raw.journal_bytes };
    console.log(sec(r.realWallMs));
    rows.push([
      shots,
      `${sec(s?.elapsedMs)} (${sec(r.realWallMs)})`,
      mb(r.rssBytes),
      sec(r.cpuMs),
      io ? Math.round(io.lockfileBytes / shots) : '?',
      io ? Math.round(io.journalBytes / shots) : '?',
      io ? Math.round((io.lockfileBytes + io.journalBytes) / shots) : '?',
      io?.lockfileWrites ?? '?',
      ((stats.submissions + stats.polls + stats.uploads + stats.downloads) / shots).toFixed(2),
      s?.done,
    ]);
    if (r.code !== 0 || s?.done !== shots || stats.submissions !== shots || stats.duplicateSubmissions !== 0) {
      failures.push(`${shots} shots: exit ${r.code ?? r.signal}, ${s?.done} done, ${stats.submissions} submits\n${r.stderr.slice(-2000)}`);
    }
  } finally {
    await mock.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
console.log(table(rows));
console.log('targets: peak RSS < 1 GB at 10,000; B/shot about the same at every size (linear, not quadratic)');
for (const f of failures) console.error(`FAILED ${f}`);
process.exitCode = failures.length ? 1 : 0;
