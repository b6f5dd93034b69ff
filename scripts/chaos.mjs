#!/usr/bin/env node
// npm run chaos [-- --seed N] : a 300-shot campaign applied against the local WaveSpeed-compatible server with
// faults on, `render apply` SIGKILLed at seeded random moments and restarted until the campaign converges, then
// the money promises checked: nobody paid twice, nothing spent past the budget, no paid output lost.
//
// "Converged": a run that was not killed exits 0 (or 5: blocked shots) and `render plan --detailed-exitcode` exits 0
// (or 5), i.e. every shot is
// `unchanged` (completed, output on disk as the lockfile records it) or `blocked`: its current take failed with
// a 1xxx task code other than 1402 (plan/diff.ts isInputFailure). Those mean "fix the input": the same request
// would fail again, so render does not pay for it again until the spec changes, and the chaos run must not expect
// it to. 1402 (upload URL not fetchable) and 5xxx failures are retried by the next apply, so they must end done.
//
// Kills (chaos/child.mjs drawKillPlan): after a random delay, at the k-th NDJSON event of a type (an id just
// recorded, a lost submit being settled, a download just put in place), or a few ms into a lockfile compaction.
// Three kills in ten also "tear" the compaction: the lockfile is rewritten with the journal replayed into it and
// the journal is kept, which is exactly what a kill between compact()'s rename and its truncation leaves, a
// window too narrow to hit from outside by chance.
//
// Checked after every run: the lockfile is valid JSON and the project's reader accepts it (journal replayed too);
// every output it ever recorded is on disk as recorded; no prediction is recorded by two takes; the server never
// charged more than the lockfile counts as spent (the intent is durable before the POST). At the end: every
// non-blocked shot's file matches the lockfile's sha256 and size, every blocked shot's failure is the server's,
// no completed (paid) prediction is unclaimed, server duplicates, budget overshoot, net charges vs the lockfile.
//
// Seeded: --seed drives the campaign (durations), the server's fault streams and the kill schedule. What a
// given kill interrupts still depends on timing, so two runs with one seed differ in detail, not in verdict.
// Exit 1 when any expected figure is not met; the table also goes to .chaos/last-run.md (git-ignored).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { endpointIdentity, normalizeBaseUrl } from '../dist/endpoint.js';
import { readCurrentLock } from '../dist/lock/store.js';
import { spentCents } from '../dist/lock/takes.js';
import { createRng, startMockServer } from '../dist/mock/index.js';
import { parseDuration } from '../dist/util/duration.js';
import { makeCampaign } from './chaos/campaign.mjs';
import { OutputLedger, checkLockfile, resolveAsUser, strayTempFiles, takesRecordedTwice, tearCompaction, verifyEnd } from './chaos/checks.mjs';
import { describeKillPlan, drawKillPlan, runApply, runPlan } from './chaos/child.mjs';
import { buildRows, duration, formatTable, usd } from './chaos/report.mjs';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

const { values } = parseArgs({
  options: {
    seed: { type: 'string', default: '1' },
    shots: { type: 'string', default: '300' },
    concurrency: { type: 'string', default: '16' },
    'time-cap': { type: 'string', default: '6m' },
    'max-kills': { type: 'string', default: '30' },
    'hang-after': { type: 'string', default: '150s' },
    /** Budget = total cost × this, rounded up to whole dollars; 1 makes the budget guard bite on any double count. */
    'budget-factor': { type: 'string', default: '1.25' },
    out: { type: 'string', default: path.join(ROOT, '.chaos', 'last-run.md') },
    keep: { type: 'boolean', default: false },
    /** JSON merged over the default faults, for experiments (e.g. '{"latencyMs":[0,2500]}'). */
    faults: { type: 'string', default: '{}' },
    /** JSON merged over the server's options (e.g. '{"listInputs":true}', '{"clockSkewMs":0}'). */
    server: { type: 'string', default: '{}' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  console.log(
    'usage: npm run chaos -- [--seed N] [--shots 300] [--concurrency 16] [--time-cap 6m] [--max-kills 30] [--hang-after 150s] [--budget-factor 1.25] [--out FILE] [--keep] [--faults JSON] [--server JSON]',
  );
  process.exit(0);
}
const seed = Number(values.seed);
const shots = Number(values.shots);
const concurrency = Number(values.concurrency);
const maxKills = Number(values['max-kills']);
const capMs = parseDuration(values['time-cap']);
/** A run that lasts longer than this is killed and reported as hung (a whole clean run takes ~30 s). */
const HANG_MS = parseDuration(values['hang-after']);
if (![seed, shots, concurrency, maxKills].every(Number.isInteger) || !capMs || !HANG_MS) {
  console.error('chaos: --seed, --shots, --concurrency and --max-kills take integers, --time-cap and --hang-after durations like 6m');
  process.exit(2);
}

/** The client's deadline is 2 s; slow answers take 3 s, so they trip it after the server has done the work. */
const REQUEST_TIMEOUT = '2s';
const DEFAULT_FAULTS = {
  errorRate: 0.1,
  errorStatuses: [500, 503],
  rateLimitRate: 0.05,
  retryAfterSeconds: 1,
  dropRate: 0.02,
  lostSubmitRate: 0.02,
  taskFailRate: 0.05,
  taskFailCodes: [1401, 1402, 5000, 5003],
  slowRate: 0.03,
  slowMs: 3000,
};
const FAULTS = { ...DEFAULT_FAULTS, ...JSON.parse(values.faults) };
/**
 * The server is no kinder than the real API: its list shows no inputs (as the docs' examples), its clock runs 10
 * minutes ahead of ours, and a prediction shows in the list only a second after it was created.
 */
const SERVER = { clockSkewMs: 10 * 60_000, listLagMs: 1000, ...JSON.parse(values.server) };
const APPLY_ARGS = ['--poll-interval', '100ms', '--settle-after', '1s', '--request-timeout', REQUEST_TIMEOUT, '--concurrency', String(concurrency)];
/** Kills stop after this share of the time cap, so the campaign has time left to converge. */
const KILL_PHASE = 0.5;
/** No run is spared a kill before this many kills. */
const MIN_KILLS = 10;

const started = Date.now();
const work = mkdtempSync(path.join(tmpdir(), `render-chaos-${seed}-`));
const logs = path.join(work, 'logs');
mkdirSync(logs);
const campaign = makeCampaign(work, { shots, rng: createRng(seed), concurrency, budgetFactor: Number(values['budget-factor']) });
const server = await startMockServer({ port: 0, seed, faults: FAULTS, completeAfterMs: 400, ...SERVER });
const env = { WAVESPEED_BASE_URL: server.url, WAVESPEED_API_KEY: server.apiKey };
const endpoint = endpointIdentity(normalizeBaseUrl(server.url));
const ledger = new OutputLedger(work);
const killRng = createRng(seed ^ 0x9e3779b9);

console.log(
  `chaos: seed ${seed}, ${shots} shots (${usd(campaign.totalCents)}, budget ${usd(campaign.budgetCents)}), concurrency ${concurrency}, cap ${duration(capMs)}`,
);
console.log(`chaos: server ${server.url} ${JSON.stringify(SERVER)}, faults ${JSON.stringify(FAULTS)}, request timeout ${REQUEST_TIMEOUT}`);
console.log(`chaos: workspace ${work}`);

const runs = [];
const lockChecks = [];
/** Runs after which the server had charged more than the lockfile counted as spent. */
const untracked = [];
/** Runs after which a prediction id was recorded by more than one take. */
const doubled = [];
let kills = 0;
let tears = 0;
/** Submits whose outcome stayed unknown, resolved as a user would from the dashboard. */
const resolved = { adopted: 0, forgotten: 0 };
let converged = false;
let stopReason = '';
for (;;) {
  const elapsed = Date.now() - started;
  const remaining = capMs - elapsed;
  if (remaining <= 0) {
    stopReason = `time cap of ${duration(capMs)} reached`;
    break;
  }
  const plan = drawKillPlan(killRng, { allowed: kills < maxKills && elapsed < capMs * KILL_PHASE, spareable: kills >= MIN_KILLS });
  const n = runs.length + 1;
  const hangMs = Math.min(HANG_MS, remaining);
  const run = await runApply({ specFile: campaign.specFile, env, args: APPLY_ARGS, plan, hangMs, logFile: path.join(logs, `run-${n}.ndjson`) });
  run.n = n;
  run.hung = run.hung && hangMs === HANG_MS;
  runs.push(run);
  let lockNote = '';
  if (run.killed) {
    kills++;
    const check = checkLockfile(campaign.specFile, campaign.name);
    lockChecks.push({ run: n, ...check });
    lockNote = check.ok ? '; lockfile valid' : `; LOCKFILE INVALID: ${check.detail}`;
    if (check.ok && plan.tear && tearCompaction(campaign.specFile, campaign.name)) {
      tears++;
      lockNote += '; compaction torn (journal kept after the lockfile write)';
    }
  }
  try {
    const lock = readCurrentLock(campaign.specFile, campaign.name);
    ledger.observe(lock, n);
    const twice = takesRecordedTwice(lock);
    if (twice.length > 0) {
      doubled.push({ run: n, ids: twice });
      lockNote += `; ${twice.length} PREDICTIONS RECORDED AS TWO TAKES`;
    }
    // Intent is durable before the POST, so at any moment the lockfile counts at least what the server charged.
    const stats = server.stats();
    const gap = stats.chargesCents - stats.refundsCents - spentCents(lock, endpoint);
    if (gap > 0) {
      untracked.push({ run: n, cents: gap });
      lockNote += `; SERVER CHARGED ${gap} CENTS THE LOCKFILE DOES NOT COUNT`;
    }
  } catch (err) {
    lockNote += `; cannot read the lock state: ${err.message}`;
  }
  const counts = Object.entries(run.events)
    .filter(([t]) => t !== 'plan')
    .map(([t, c]) => `${t} ${c}`)
    .join(', ');
  const how = run.killed ? `killed after ${run.ms} ms` : `exit ${run.code} after ${run.ms} ms`;
  console.log(`run ${n}: ${describeKillPlan(plan)} → ${how}${run.hung ? ' (HUNG)' : ''}; ${counts || 'no events'}${lockNote}`);
  // Exit 5: done, but some shots are blocked (failed on their input; docs/SPEC.md "Exit codes"): a finished run.
  const finished = !run.killed && (run.code === 0 || run.code === 5);
  if (!run.killed && run.code !== 0 && run.code !== 1 && run.code !== 5) {
    stopReason = `apply exited ${run.code}: ${run.stderr.trim().split('\n').slice(-3).join(' / ')}`;
    console.log(`chaos: ${stopReason}`);
    break;
  }
  if (!run.killed) {
    // A clean run that reports unknown outcomes asks the user: they look in the dashboard, then adopt or forget.
    const r = await resolveAsUser({ campaign, server, endpoint });
    if (r.adopted + r.forgotten > 0) console.log(`chaos: resolved as a user would: ${r.adopted} adopted, ${r.forgotten} forgotten`);
    resolved.adopted += r.adopted;
    resolved.forgotten += r.forgotten;
  }
  if (finished) {
    const p = await runPlan({ specFile: campaign.specFile, env });
    if (p.code === 0 || p.code === 5) {
      converged = true;
      break;
    }
    console.log(`chaos: apply exited ${run.code} but plan --detailed-exitcode exited ${p.code}; applying again`);
  }
}

// Let tasks still running on the server settle (a failure refunds), then look with the faults off.
await new Promise((r) => setTimeout(r, 1000));
server.setFaults({});
let end;
try {
  end = await verifyEnd({ campaign, server, endpoint, ledger });
} catch (err) {
  const text = `chaos: seed ${seed}: could not verify the end state: ${err.stack ?? err}`;
  console.error(text);
  mkdirSync(path.dirname(values.out), { recursive: true });
  writeFileSync(values.out, `${text}\n`);
  console.log(`chaos: workspace kept at ${work}`);
  process.exit(1);
}
await server.close();
const wallMs = Date.now() - started;
const result = { seed, campaign, runs, kills, tears, lockChecks, untracked, doubled, converged, stopReason, end, wallMs, capMs, resolved };
const rows = buildRows(result);
const table = formatTable(rows);
const failed = rows.some(([, , , ok]) => ok === false);

const details = [
  ...end.problems.map((p) => `- ${p}`),
  ...end.lost.map((p) => `- lost: ${p}`),
  ...end.orphans.map((id) => `- orphan: prediction ${id} completed and paid, claimed by no take`),
  ...end.staleRetries.map((id) => `- ${id}: retried a 1402 failure with the same upload URL`),
  ...lockChecks.filter((c) => !c.ok).map((c) => `- run ${c.run}: lockfile ${c.detail}`),
  ...untracked.map((u) => `- after run ${u.run}: the server had charged ${u.cents} cents the lockfile did not count`),
  ...doubled.map((d) => `- after run ${d.run}: ${d.ids.length} predictions recorded by two takes, e.g. ${d.ids[0]}`),
];
const strays = strayTempFiles(campaign.specFile);
const partials = strayTempFiles(path.join(work, 'renders', 'x'), /\.(download|part)$/);
const notes = [
  `plan actions at the end: ${Object.entries(end.actions)
    .map(([a, c]) => `${a} ${c}`)
    .join(', ')}`,
  `blocked shots: ${end.blocked.join(', ') || 'none'}`,
  `server: ${end.stats.submissions} submissions, ${end.stats.polls} polls, ${end.stats.lists} lists, ${end.stats.uploads} uploads, ${end.stats.downloads} downloads; predictions ${JSON.stringify(end.stats.predictions)}`,
  `charges ${usd(end.stats.chargesCents)}, refunds ${usd(end.stats.refundsCents)}`,
  `temp files left by kills mid-write: ${strays.length} beside the lockfile, ${partials.length} partial downloads in the output folder`,
];
const markdown = [
  `## Chaos run, seed ${seed} (${new Date().toISOString()})`,
  '',
  `${shots} shots, concurrency ${concurrency}, request timeout ${REQUEST_TIMEOUT}, budget ${usd(campaign.budgetCents)} for ${usd(campaign.totalCents)} of shots; server ${JSON.stringify(SERVER)}; faults ${JSON.stringify(FAULTS)}.`,
  'Converged = every shot rendered with its output intact, or blocked: failed with a 1xxx task code other than 1402',
  '(the same inputs would fail again, so they are not paid for again until the spec changes).',
  '',
  table,
  '',
  ...notes.map((n) => `- ${n}`),
  ...(details.length ? ['', 'Problems:', ...details.slice(0, 50)] : []),
  '',
].join('\n');

console.log('');
console.log(markdown);
mkdirSync(path.dirname(values.out), { recursive: true });
writeFileSync(values.out, markdown);
console.log(`chaos: table written to ${path.relative(process.cwd(), values.out)}`);
if (failed || values.keep) console.log(`chaos: workspace kept at ${work} (logs/run-N.ndjson per run)`);
else rmSync(work, { recursive: true, force: true });
process.exit(failed ? 1 : 0);
