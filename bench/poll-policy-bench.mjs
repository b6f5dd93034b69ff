#!/usr/bin/env node
/**
 * The poll policy alone, simulated (issue #14): the scenario of bench/poll-scenario-bench.mjs (48 shots of 3-15 s,
 * 8 in flight, poll floor 250 ms) played on a clock of plain numbers, with no process, no network and no load, so
 * its figures are the same on every run: the policy's own cost, apart from the machine's noise. `render`'s
 * `LearnedSchedule` and `RenderModel` (from dist/) against the SDK's fixed loop (poll at once after the submit,
 * then 250 ms after each answer), each answer taking RTT_MS, each freed slot submitting again after GAP_MS. Per
 * render-time model, the mean over 10 seeds:
 *
 *   wall/ideal  the last render seen, over the renders' own times packed on 8 slots in the spec's order (the SDK
 *               loop's order; render takes the longest expected renders first: apply/order.ts)
 *   own order   the same over the renders packed in the client's own order: the polling's cost alone
 *   seen late   from the render's end to the poll that saw it (ms, mean)
 *   polls/shot  polls per shot
 * `first` starts with nothing known; `informed` has learned the first run's renders (the lockfile's render times).
 * Figures are printed, never asserted; exit code 0.
 *
 * env: RTT_MS=50, GAP_MS=30
 */
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const DIST = path.join(fileURLToPath(new URL('..', import.meta.url)), 'dist');
const imp = (p) => import(pathToFileURL(path.join(DIST, p)).href);
const { RenderModel } = await imp('apply/render-model.js');
const { LearnedSchedule } = await imp('apply/poll-schedule.js');
const { DEFAULT_POLL_POLICY } = await imp('provider/index.js');
const { createRng } = await imp('mock/prng.js');
const { submitOrder } = await imp('apply/order.js');

const SHOTS = 48;
const SLOTS = 8;
const FLOOR_MS = 250;
const RTT = Number(process.env.RTT_MS ?? 50);
const GAP = Number(process.env.GAP_MS ?? 30);
const SEEDS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
const POLICY = { ...DEFAULT_POLL_POLICY, initialMs: FLOOR_MS };
const durations = Array.from({ length: SHOTS }, (_, i) => 3 + ((7 * i) % 13));

/** Render times of one seed: base + perSecond × duration, ±jitter (uniform). */
function renderTimes(seed, { baseMs, perSecondMs, jitter }) {
  const rng = createRng(seed);
  return durations.map((d) => Math.round((baseMs + perSecondMs * d) * (1 + jitter * (2 * rng() - 1))));
}

function packed(ms) {
  const free = Array(SLOTS).fill(0);
  for (const m of ms) free[free.indexOf(Math.min(...free))] += m;
  return Math.max(...free);
}

/** Runs the shots through SLOTS slots in `order` (indexes) with `client` following each; the figures of the run. */
function simulate(runMs, client, order = durations.map((_, i) => i)) {
  const events = [];
  let now = 0;
  let next = 0;
  let polls = 0;
  let lastSeen = 0;
  let late = 0;
  const at = (t, fn) => {
    const e = { t, fn, cancelled: false };
    events.push(e);
    return e;
  };
  const env = { now: () => now, at, poll: () => polls++ };
  const submit = () => {
    if (next >= SHOTS) return;
    const i = order[next++];
    const end = now + RTT / 2 + runMs[i];
    const job = { duration: durations[i], runMs: runMs[i], statusAt: (t) => (t >= end ? 'completed' : 'processing') };
    client.follow(env, now, job, (seenAt) => {
      late += seenAt - RTT / 2 - end;
      lastSeen = Math.max(lastSeen, seenAt);
      at(seenAt + GAP, submit);
    });
  };
  for (let s = 0; s < SLOTS; s++) at(s, submit);
  while (events.length > 0) {
    let k = 0;
    for (let j = 1; j < events.length; j++) if (events[j].t < events[k].t) k = j;
    const [e] = events.splice(k, 1);
    if (e.cancelled) continue;
    now = e.t;
    e.fn();
  }
  return {
    wallOverIdeal: lastSeen / packed(runMs),
    wallOverOwn: lastSeen / packed(order.map((i) => runMs[i])),
    lateMs: late / SHOTS,
    pollsPerShot: polls / SHOTS,
  };
}

const sdkLoop = {
  follow({ at, poll }, sentAt, job, done) {
    const ask = (t) => {
      poll();
      if (job.statusAt(t + RTT / 2) === 'completed') done(t + RTT);
      else at(t + RTT + FLOOR_MS, () => ask(t + RTT + FLOOR_MS));
    };
    at(sentAt + RTT, () => ask(sentAt + RTT));
  },
};

/** render's schedule, woken by news as `waitForPrediction` is (provider/poll.ts). */
function renderClient(model) {
  const waiting = new Set();
  return {
    follow({ now, at, poll }, sentAt, job, done) {
      const key = { model: 'kling', kind: 'i2v', duration: job.duration };
      const schedule = new LearnedSchedule(model, key, sentAt, POLICY, () => 0.5);
      const me = { event: undefined, weak: false };
      me.plan = () => {
        if (me.event) me.event.cancelled = true;
        const t = Math.max(now(), schedule.nextPollAt(now()));
        me.weak = schedule.changed() !== undefined;
        me.event = at(t, () => ask(t));
      };
      const ask = (t) => {
        me.weak = false;
        poll();
        const status = job.statusAt(t + RTT / 2);
        schedule.observe({ id: 'p', status, outputs: [] }, t + RTT, t);
        if (status !== 'completed') return void at(t + RTT, me.plan);
        waiting.delete(me);
        model.observe(key, job.runMs);
        for (const w of waiting) if (w.weak) w.plan();
        done(t + RTT);
      };
      waiting.add(me);
      at(sentAt + RTT, me.plan);
    },
  };
}

const MODELS = [
  { label: 'issue #14 scenario: 1 s per second of video ±15 %', baseMs: 0, perSecondMs: 1000, jitter: 0.15 },
  { label: 'a fixed part: 20 s + 3 s per second ±15 %', baseMs: 20_000, perSecondMs: 3000, jitter: 0.15 },
  { label: 'a fixed part, wide jitter: 20 s + 3 s per second ±30 %', baseMs: 20_000, perSecondMs: 3000, jitter: 0.3 },
];

console.log(
  `poll policy, simulated (issue #14): ${SHOTS} shots of 3-15 s, ${SLOTS} in flight, floor ${FLOOR_MS} ms, RTT ${RTT} ms, mean of ${SEEDS.length} seeds`,
);
const rows = [['render times', 'client', 'wall/ideal', 'own order', 'seen late', 'polls/shot']];
/** render's order of the shots (apply/order.ts), as indexes, from what `model` knows. */
const renderOrder = (model) => {
  const shots = durations.map((duration, i) => ({ i, action: 'submit', duration, contentRequest: { image: 'x' } }));
  return submitOrder(shots, 'kling', model).map((s) => s.i);
};
for (const m of MODELS) {
  const sum = { sdk: [0, 0, 0, 0], first: [0, 0, 0, 0], informed: [0, 0, 0, 0] };
  const add = (k, r) => {
    const figures = [r.wallOverIdeal, r.wallOverOwn, r.lateMs, r.pollsPerShot];
    for (let i = 0; i < figures.length; i++) sum[k][i] += figures[i] / SEEDS.length;
  };
  for (const seed of SEEDS) {
    const model = new RenderModel();
    add('sdk', simulate(renderTimes(seed, m), sdkLoop));
    add('first', simulate(renderTimes(seed, m), renderClient(model), renderOrder(model)));
    add('informed', simulate(renderTimes(seed + 1000, m), renderClient(model), renderOrder(model)));
  }
  for (const [k, label] of [
    ['sdk', 'SDK loop'],
    ['first', 'render (first run)'],
    ['informed', 'render (informed)'],
  ]) {
    const [w, o, l, p] = sum[k];
    rows.push([k === 'sdk' ? m.label : '', label, `${w.toFixed(4)}×`, `${o.toFixed(4)}×`, `${l.toFixed(0)} ms`, p.toFixed(1)]);
  }
}
const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => String(r[c]).length)));
for (const r of rows) console.log(r.map((v, c) => (c < 2 ? String(v).padEnd(widths[c]) : String(v).padStart(widths[c]))).join('  '));
console.log('targets: render no slower than the SDK loop (wall/ideal), at most half its polls per shot');
