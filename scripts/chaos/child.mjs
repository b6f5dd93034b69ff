// Runs `render apply` / `render plan` as child processes, and kills an apply with SIGKILL when its kill plan says.
import { spawn } from 'node:child_process';
import { createWriteStream, watch } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

/**
 * Events a kill can wait for, each with the most occurrences to wait for: each marks a window where a crash is
 * interesting (an id just recorded, a lost submit being settled, a download just put in place, a task failure).
 * Common events wait longer, rare ones (a few per campaign) fire at once, or they would never fire.
 */
const KILL_EVENTS = [
  ['submitted', 40],
  ['status', 60],
  ['downloaded', 40],
  ['unknown', 3],
  ['settled', 3],
  ['failed', 2],
  ['upload', 3],
];

/**
 * The kill plan of one run, drawn from the chaos PRNG with a fixed number of draws (so the schedule of later runs
 * does not depend on what happened in earlier ones): none; after a delay; after the k-th event of a type; or a
 * few ms after the k-th lockfile compaction starts (its temp file appears), to land between the lockfile's
 * rename and the journal's truncation. That window is a fraction of a millisecond, which a signal from another
 * process rarely hits, so `tear` (three kills in ten) also leaves on disk exactly what a kill in it would leave
 * (see tearCompaction).
 * A whole run of the campaign takes ~30 s, so a kill in the first 6 s, or within a few dozen events, lands
 * almost always; once `spareable`, one run in ten is spared, to show a run can finish amid the faults.
 */
export function drawKillPlan(rng, { allowed, spareable }) {
  const spare = rng();
  const mode = rng();
  const x = rng();
  const y = rng();
  const tear = rng() < 0.3;
  if (!allowed || (spareable && spare < 0.1)) return { kind: 'none' };
  if (mode < 0.4) return { kind: 'time', ms: Math.round(300 + x * 5700), tear };
  if (mode < 0.8) {
    const [event, most] = KILL_EVENTS[Math.floor(x * KILL_EVENTS.length)];
    return { kind: 'event', event, count: 1 + Math.floor(y * most), tear };
  }
  return { kind: 'compaction', count: 1 + Math.floor(x * 2), delayMs: Math.floor(y * 40), tear };
}

export function describeKillPlan(plan) {
  if (plan.kind === 'time') return `SIGKILL after ${plan.ms} ms`;
  if (plan.kind === 'event') return `SIGKILL at ${ordinal(plan.count)} "${plan.event}" event`;
  if (plan.kind === 'compaction') return `SIGKILL ${plan.delayMs} ms into the ${ordinal(plan.count)} lockfile write`;
  return 'no kill';
}

function ordinal(n) {
  const s = n % 100 >= 11 && n % 100 <= 13 ? 'th' : ({ 1: 'st', 2: 'nd', 3: 'rd' }[n % 10] ?? 'th');
  return `${n}${s}`;
}

/**
 * One `render apply`: NDJSON events are counted (and logged to `logFile`), stderr is kept for the report.
 * Resolves {code, signal, killed, events, stderr, ms}. `hangMs` is a safety net: a run that outlives it is
 * killed too and reported as hung.
 */
export function runApply({ specFile, env, args, plan, hangMs, logFile }) {
  const started = Date.now();
  const child = spawn(process.execPath, [CLI, 'apply', specFile, '--yes', '--json', ...args], {
    env: { ...process.env, ...env, CI: '1', NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log = createWriteStream(logFile);
  const events = {};
  let killed = false;
  let hung = false;
  let stderr = '';
  let buffered = '';
  const kill = () => {
    if (killed || child.exitCode !== null) return;
    killed = true;
    child.kill('SIGKILL');
  };
  const timer = plan.kind === 'time' ? setTimeout(kill, plan.ms) : undefined;
  const watcher = plan.kind === 'compaction' ? watchCompactions(specFile, plan, kill) : undefined;
  const hangTimer = setTimeout(() => {
    hung = child.exitCode === null;
    kill();
  }, hangMs);
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk) => {
    log.write(chunk);
    buffered += chunk;
    for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      let e;
      try {
        e = JSON.parse(line);
      } catch {
        continue;
      }
      events[e.type] = (events[e.type] ?? 0) + 1;
      if (plan.kind === 'event' && e.type === plan.event && events[e.type] >= plan.count) kill();
    }
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => {
    stderr = (stderr + chunk).slice(-8000);
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      clearTimeout(hangTimer);
      watcher?.close();
      log.end(stderr ? `\n# stderr (tail)\n${stderr}` : '');
      resolve({ code, signal, killed: killed && signal === 'SIGKILL', hung, events, stderr, ms: Date.now() - started });
    });
  });
}

/** Calls `kill` `plan.delayMs` after the `plan.count`-th lockfile temp file (`<name>.lock.json.<pid>.<t>.tmp`) appears. */
function watchCompactions(specFile, plan, kill) {
  const seen = new Set();
  const watcher = watch(path.dirname(specFile), (_type, name) => {
    if (!name || !/\.lock\.json\..+\.tmp$/.test(name) || seen.has(name)) return;
    seen.add(name);
    if (seen.size === plan.count) setTimeout(kill, plan.delayMs);
  });
  watcher.on('error', () => undefined);
  return watcher;
}

/** `render plan SPEC --detailed-exitcode`: 0 nothing to do, 4 changes pending, 5 only blocked shots left. */
export function runPlan({ specFile, env }) {
  const child = spawn(process.execPath, [CLI, 'plan', specFile, '--detailed-exitcode'], {
    env: { ...process.env, ...env, CI: '1', NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (c) => (out = (out + c).slice(-20000)));
  child.stderr.on('data', (c) => (out = (out + c).slice(-20000)));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out }));
  });
}
