#!/usr/bin/env node
/**
 * Submits paced to an account tier (issue #14): 60 shots (3-15 s of video, 1 s of render per second ±15 %) on an
 * account that runs 2 tasks at once (the rest queue on the server as `created`) and takes 10 submits a minute
 * (a sliding window; over it, 429 with Retry-After). `render apply` at two settings of --concurrency: the running
 * limit (2), and the submits a minute (10, so the server's queue never runs dry). Time is warped
 * (bench/time-warp.mjs): figures are scenario time; it runs BENCH_TIER_SCALE (default 20) times faster.
 *
 *   wall       the apply phase (its summary's elapsedMs)
 *   allowed    what the limits allow: submits as early as the window lets them (10 at 0 s, 10 at 60 s, ...), run
 *              2 at a time in submit order, each for its own render time (the server's timings.inference)
 *   at --concurrency  the same bound with at most `--concurrency` submitted and unfinished, as render keeps them:
 *              what this setting allows (below the running limit plus the queue, the order of the shots matters
 *              less to it; the plain bound credits submits ahead of the slots that the setting forbids)
 *   429s       refusals the server answered (its `rateLimited` count)
 * Targets (printed, not asserted): zero duplicate submits, wall within 1.15× of what the limits allow (`allowed`). Exit code 1
 * only if a run fails to render every shot once.
 *
 * env: BENCH_TIER_SCALE=20, BENCH_TIER_CONCURRENCY=2,10
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { durations, MOCK, predictionsOf, renderApply, sec, table, writeSpec } from './scenario-lib.mjs';
import { warpedClock } from './time-warp.mjs';

const SCALE = Number(process.env.BENCH_TIER_SCALE ?? 20);
const SETTINGS = (process.env.BENCH_TIER_CONCURRENCY ?? '2,10').split(',').map(Number);
const SHOTS = 60;
const RUNNING = 2;
const PER_MINUTE = 10;
const RENDER_TIME = { baseMs: 0, perSecondMs: 1000, jitter: 0.15 };

/** Submits as early as a sliding 60 s window of `perMinute` allows, run `running` at a time in that order. */
function allowed(renderMs, running, perMinute) {
  const free = Array.from({ length: running }, () => 0);
  let end = 0;
  renderMs.forEach((ms, k) => {
    const submitAt = Math.floor(k / perMinute) * 60_000;
    const i = free.indexOf(Math.min(...free));
    free[i] = Math.max(free[i], submitAt) + ms;
    end = Math.max(end, free[i]);
  });
  return end;
}

/** `allowed`, with at most `concurrency` submitted and unfinished: a submit also waits for one of those to end. */
function allowedAt(renderMs, running, perMinute, concurrency) {
  const free = Array.from({ length: running }, () => 0);
  const sent = [];
  const ends = [];
  let end = 0;
  for (const ms of renderMs) {
    let at = sent.length >= perMinute ? sent[sent.length - perMinute] + 60_000 : 0;
    if (ends.length >= concurrency) at = Math.max(at, [...ends].sort((a, b) => a - b)[ends.length - concurrency]);
    sent.push(at);
    const i = free.indexOf(Math.min(...free));
    free[i] = Math.max(free[i], at) + ms;
    ends.push(free[i]);
    end = Math.max(end, free[i]);
  }
  return end;
}

const { startMockServer } = await import(pathToFileURL(MOCK).href);
console.log(
  `tier scenario (issue #14): ${SHOTS} shots, ${RUNNING} running tasks, ${PER_MINUTE} submits/min, render 1 s per second of video ±15 %; ` +
    `time ×${SCALE} (figures in scenario time); node ${process.version}, ${availableParallelism()} CPUs, load ${loadavg()[0].toFixed(1)}`,
);
const rows = [['--concurrency', 'wall', 'allowed', 'wall/allowed', 'at --concurrency', 'wall/that', '429s', 'submits', 'paid twice', 'polls/shot', 'done']];
const failures = [];
for (const concurrency of SETTINGS) {
  const dir = mkdtempSync(path.join(tmpdir(), 'render-tier-scenario-'));
  const origin = Date.now();
  const mock = await startMockServer({
    host: '127.0.0.1',
    port: 0,
    seed: 7,
    renderTime: RENDER_TIME,
    maxConcurrentTasks: RUNNING,
    submitsPerMinute: PER_MINUTE,
    balanceUsd: 100_000,
    clock: warpedClock(SCALE, origin),
  });
  try {
    const spec = writeSpec(dir, 'tier', durations(SHOTS), concurrency);
    const r = await renderApply({ dir, spec, mock, args: ['--concurrency', String(concurrency), '--poll-interval', '250ms'], scale: SCALE, origin });
    const stats = await (await fetch(`${mock.url}/__mock/stats`)).json();
    const renderMs = (await predictionsOf(mock)).map((p) => p.renderMs);
    const limit = allowed(renderMs, RUNNING, PER_MINUTE);
    const limitAt = allowedAt(renderMs, RUNNING, PER_MINUTE, concurrency);
    const wall = r.summary?.elapsedMs;
    rows.push([
      concurrency,
      sec(wall),
      sec(limit),
      wall ? `${(wall / limit).toFixed(3)}×` : '?',
      sec(limitAt),
      wall ? `${(wall / limitAt).toFixed(3)}×` : '?',
      stats.rateLimited,
      stats.submissions,
      stats.duplicateSubmissions,
      (stats.polls / SHOTS).toFixed(1),
      r.summary?.done ?? '?',
    ]);
    if (r.code !== 0 || r.summary?.done !== SHOTS || stats.submissions !== SHOTS || stats.duplicateSubmissions !== 0) {
      failures.push(
        `--concurrency ${concurrency}: exit ${r.code ?? r.signal}, ${r.summary?.done} done, ${stats.submissions} submits\n${r.stderr.slice(-2000)}`,
      );
    }
  } finally {
    await mock.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
console.log(table(rows));
console.log('targets: 0 paid twice, wall/allowed ≤ 1.15');
// At --concurrency below the running limit plus the queue, the setting bounds the run, not the account: judged
// against both bounds, so a miss says which one it is (docs/ARCHITECTURE.md "Pacing submits").
for (const row of rows.slice(1)) {
  const [concurrency, , , ratio, , ratioAt] = row;
  const verdict = Number.parseFloat(ratio) <= 1.15 ? 'PASS' : 'MISS';
  console.log(`${verdict}  --concurrency ${concurrency}: wall ${ratio} what the limits allow, ${ratioAt} what this setting allows`);
}
for (const f of failures) console.error(`FAILED ${f}`);
process.exitCode = failures.length ? 1 : 0;
