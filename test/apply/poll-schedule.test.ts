import { describe, expect, it } from 'vitest';
import { LearnedSchedule } from '../../src/apply/poll-schedule.js';
import { learnFromLock, RenderModel, shotKind } from '../../src/apply/render-model.js';
import { emptyLockfile, type LockTake } from '../../src/lock/schema.js';
import { DEFAULT_POLL_POLICY, type PollPolicy, type Prediction } from '../../src/provider/index.js';

/**
 * Polling that learns (docs/ARCHITECTURE.md "Polling"): render times per (model, kind, duration) from completed
 * predictions, and a schedule that polls around the expected completion, never more often than the floor.
 */

const MODEL = 'kwaivgi/kling-v3.0-4k/image-to-video';
const key = (duration: number, kind = 'i2v') => ({ model: MODEL, kind, duration });
/** Floor 250 ms, growth 1.5, ceiling 30 s, no jitter: every figure below is exact. */
const POLICY: PollPolicy = { ...DEFAULT_POLL_POLICY, initialMs: 250, factor: 1.5, maxMs: 30_000, jitter: 0 };
const answer = (status: string): Prediction => ({ id: 'p', status, outputs: [] });

/** Walk a schedule as the poll loop does: ask when, "poll" then with the status the render has at that time. */
function walk(schedule: LearnedSchedule, statusAt: (t: number) => string, until = 120_000): number[] {
  const polls: number[] = [];
  let now = 0;
  while (now < until) {
    now = schedule.nextPollAt(now);
    polls.push(now);
    const status = statusAt(now);
    schedule.observe(answer(status), now);
    if (status === 'completed') break;
  }
  return polls;
}

/** A model that has seen renders of 3 to 15 s of video take 1 s per second of video ± 10 %. */
function trainedModel(): RenderModel {
  const model = new RenderModel();
  for (let d = 3; d <= 15; d++) {
    model.observe(key(d), d * 1000 * 0.9);
    model.observe(key(d), d * 1000 * 1.1);
  }
  return model;
}

describe('render times are learned per model, kind of shot and duration', () => {
  it('nothing is known before the first completed render', () => {
    expect(new RenderModel().estimate(key(5))).toBeUndefined();
  });

  it("a duration is estimated by the fit over every render of the model and kind, its window the renders' scatter around it", () => {
    const est = trainedModel().estimate(key(9))!;
    expect(est.midMs).toBeCloseTo(9000);
    // ±10 % seen, widened by what is left of the prior spread (0.3 × 2 / (26 + 1)) and by the fit's own
    // uncertainty at 9 s (the middle of the durations seen: the scatter × sqrt(1 / 26)).
    const margin = (0.3 * 2) / 27 + 0.1 * Math.sqrt(1 / 26);
    expect(est.lowMs).toBeCloseTo(9000 * (1 - 0.1 - margin));
    expect(est.highMs).toBeCloseTo(9000 * (1 + 0.1 + margin));
  });

  it('one render: proportional to the duration, ±30 %', () => {
    const model = new RenderModel();
    model.observe(key(3), 3000);
    const est = model.estimate(key(9))!;
    expect(est.midMs).toBeCloseTo(9000);
    expect(est.lowMs).toBeCloseTo(9000 * 0.7);
    expect(est.highMs).toBeCloseTo(9000 * 1.3);
  });

  it('renders of three durations or more are fitted by a line (base + per second)', () => {
    const model = new RenderModel();
    for (const d of [4, 10, 12]) model.observe(key(d), 2000 + d * 500);
    const est = model.estimate(key(6))!;
    expect(est.midMs).toBeCloseTo(5000);
    expect(est.lowMs).toBeLessThan(5000);
    expect(est.highMs).toBeGreaterThan(5000);
  });

  it('renders of two durations are not trusted to draw a line: per second of video', () => {
    const model = new RenderModel();
    model.observe(key(4), 4000);
    model.observe(key(5), 4500);
    // A line through these two would say 9.5 s for 15 s of video; per second of video says 15 × 8.5 / 9.
    expect(model.estimate(key(15))!.midMs).toBeCloseTo((15 * 8500) / 9);
  });

  it('a duration far from those seen gets a wider window than one near them: a line is least sure far from its points', () => {
    const model = new RenderModel();
    for (const d of [3, 4, 5]) {
      model.observe(key(d), 1000 + d * 950);
      model.observe(key(d), 1000 + d * 1050);
    }
    const width = (d: number) => {
      const est = model.estimate(key(d))!;
      return (est.highMs - est.lowMs) / est.midMs;
    };
    expect(width(15)).toBeGreaterThan(width(6) * 1.5);
  });

  it('another kind of shot of the same model is estimated per second of video, never from another model', () => {
    const model = new RenderModel();
    model.observe(key(5), 5000);
    expect(model.estimate(key(10, 'i2v+end'))!.midMs).toBeCloseTo(10_000);
    expect(model.estimate({ model: 'other/model', kind: 'i2v', duration: 5 })).toBeUndefined();
  });

  it('the kind of a shot is what its request asks for beyond a prompt', () => {
    expect(shotKind({ image: 'x', prompt: 'p' })).toBe('i2v');
    expect(shotKind({ prompt: 'p', sound: true })).toBe('t2v+sound');
    expect(shotKind({ image: 'x', end_image: 'y', multi_prompt: [] })).toBe('i2v+end+multi');
  });

  it("the lockfile's earlier renders on the same endpoint inform the next run; other endpoints' do not", () => {
    const lock = emptyLockfile('c', 'c.yaml', 'lineage-1');
    const take = (n: number, status: LockTake['status'], render_ms?: number): LockTake => ({
      n,
      fingerprint: 'f',
      model: MODEL,
      take: 1,
      status,
      duration: 5,
      cost_cents: 210,
      request: { image: 'sha256:x', prompt: 'p', duration: 5 },
      submitted_at: '2025-01-01T00:00:00.000Z',
      outputs: [],
      ...(render_ms === undefined ? {} : { render_ms }),
    });
    lock.endpoints.real = { uploads: {}, shots: { a: { takes: [take(1, 'completed', 4000), take(2, 'failed', 1), take(3, 'completed')] } } };
    lock.endpoints.mock = { uploads: {}, shots: { a: { takes: [take(1, 'completed', 100)] } } };
    const model = new RenderModel();
    learnFromLock(model, lock, 'real');
    expect(model.estimate(key(5))?.midMs).toBeCloseTo(4000);
    expect(model.estimate(key(5))?.samples).toBe(1);
  });

  it('news of a render wakes whoever waits on the model', async () => {
    const model = new RenderModel();
    let woken = false;
    void model.changed().then(() => (woken = true));
    model.observe(key(5), 5000);
    await Promise.resolve();
    expect(woken).toBe(true);
  });
});

describe('a prediction is polled around its expected completion', () => {
  it('with nothing known, the growing schedule of --poll-interval and --poll-growth applies where it is the tighter', () => {
    const slow = { ...POLICY, factor: 1.05 };
    const schedule = new LearnedSchedule(new RenderModel(), key(9), 0, slow, () => 0.5);
    const polls = walk(schedule, (t) => (t >= 20_000 ? 'completed' : 'processing'));
    const waits = polls.map((t, i) => t - (polls[i - 1] ?? 0));
    // Poll 22 on: 250 × 1.05^21 = 696, ×1.05 each (a tenth of the time waited would be longer by then).
    expect(waits.slice(21, 25)).toEqual([696, 731, 768, 806]);
  });

  it('with nothing known, no wait is longer than a tenth of the time waited so far, nor shorter than the floor', () => {
    const schedule = new LearnedSchedule(new RenderModel(), key(9), 0, POLICY, () => 0.5);
    const polls = walk(schedule, (t) => (t >= 60_000 ? 'completed' : 'processing'));
    const waits = polls.map((t, i) => t - (polls[i - 1] ?? 0));
    for (const [i, wait] of waits.entries()) {
      expect(wait).toBeGreaterThanOrEqual(250);
      expect(wait).toBeLessThanOrEqual(Math.max(250, Math.ceil((polls[i - 1] ?? 0) / 10)));
    }
    // The render that finished at 60 s is seen within a tenth of that (the growing schedule alone: 29.8 s late).
    expect(polls.at(-1)! - 60_000).toBeLessThanOrEqual(6000);
  });

  it('the first poll comes when the render may first be done, then every floor until it is', () => {
    const low = Math.ceil(trainedModel().estimate(key(9))!.lowMs);
    const schedule = new LearnedSchedule(trainedModel(), key(9), 0, POLICY, () => 0.5);
    const polls = walk(schedule, (t) => (t >= 8700 ? 'completed' : 'processing'));
    // From the low end of the window (below the 8.1 s of the fastest 9 s render seen), every 250 ms to 8.7 s.
    expect(low).toBeLessThan(8100);
    expect(polls).toEqual(Array.from({ length: Math.ceil((8700 - low) / 250) + 1 }, (_, i) => low + 250 * i));
  });

  it('the floor runs from when a poll was sent: an answer that took long does not push the next poll later', () => {
    const schedule = new LearnedSchedule(trainedModel(), key(9), 0, POLICY, () => 0.5);
    const first = schedule.nextPollAt(0);
    schedule.observe(answer('processing'), first + 100, first);
    expect(schedule.nextPollAt(first + 100)).toBe(first + 250);
  });

  it('an answer slower than half the floor is followed by half a floor of rest, not by a poll at once', () => {
    const schedule = new LearnedSchedule(trainedModel(), key(9), 0, POLICY, () => 0.5);
    const first = schedule.nextPollAt(0);
    schedule.observe(answer('processing'), first + 600, first);
    expect(schedule.nextPollAt(first + 600)).toBe(first + 725);
  });

  it('a poll that got no answer (a 404 not yet believed, an outage) counts: the next is a floor later, never at once', () => {
    const schedule = new LearnedSchedule(trainedModel(), key(9), 0, POLICY, () => 0.5);
    const first = schedule.nextPollAt(0);
    schedule.missed(first);
    const second = schedule.nextPollAt(first);
    schedule.missed(second);
    const third = schedule.nextPollAt(second);
    const low = Math.ceil(trainedModel().estimate(key(9))!.lowMs);
    expect([first, second, third]).toEqual([low, low + 250, low + 500]);
  });

  it('with nothing known, a poll that got no answer moves the growing schedule on', () => {
    const schedule = new LearnedSchedule(new RenderModel(), key(9), 0, POLICY, () => 0.5);
    schedule.missed(schedule.nextPollAt(0));
    expect(schedule.nextPollAt(250)).toBe(500);
  });

  it('never polls more often than the floor, even when the window is narrower', () => {
    const floor = { ...POLICY, initialMs: 1000 };
    const schedule = new LearnedSchedule(trainedModel(), key(3), 0, floor, () => 0.5);
    const polls = walk(schedule, (t) => (t >= 3200 ? 'completed' : 'processing'));
    const low = Math.ceil(trainedModel().estimate(key(3))!.lowMs);
    expect(polls).toEqual([low, low + 1000]);
    for (let i = 1; i < polls.length; i++) expect(polls[i]! - polls[i - 1]!).toBeGreaterThanOrEqual(1000);
  });

  it('past the expected window the waits grow by --poll-growth, up to the ceiling', () => {
    const schedule = new LearnedSchedule(trainedModel(), key(3), 0, POLICY, () => 0.5);
    const polls = walk(schedule, (t) => (t >= 200_000 ? 'completed' : 'processing'), 300_000);
    const waits = polls.slice(1).map((t, i) => t - polls[i]!);
    // tight (250) until 3.3 s, then each wait grows: never shrinks, and ends at the 30 s ceiling
    expect(waits.slice(0, 3)).toEqual([250, 250, 250]);
    for (let i = 1; i < waits.length; i++) expect(waits[i]!).toBeGreaterThanOrEqual(waits[i - 1]!);
    expect(Math.max(...waits)).toBe(30_000);
    expect(polls.length).toBeLessThan(40); // tight polling every 250 ms for 200 s would be 800
  });

  it('a task the server still shows queued (created) is expected a render after it starts, not after the submit', () => {
    const schedule = new LearnedSchedule(trainedModel(), key(9), 0, POLICY, () => 0.5);
    // Queued until 20 s, then runs 9 s.
    const polls = walk(schedule, (t) => (t < 20_000 ? 'created' : t < 29_000 ? 'processing' : 'completed'));
    const done = polls[polls.length - 1]!;
    expect(done - 29_000).toBeLessThanOrEqual(POLICY.initialMs);
    // While queued it is looked at a few times per render, not every floor.
    expect(polls.filter((t) => t < 20_000).length).toBeLessThanOrEqual(10);
  });

  it('a plan made on little knowledge is woken by news; one made on a settled estimate is not', () => {
    const model = new RenderModel();
    const weak = new LearnedSchedule(model, key(9), 0, POLICY, () => 0.5);
    expect(weak.nextPollAt(0)).toBe(250);
    expect(weak.changed()).toBeInstanceOf(Promise);
    const strong = new LearnedSchedule(trainedModel(), key(9), 0, POLICY, () => 0.5);
    strong.nextPollAt(0);
    expect(strong.changed()).toBeUndefined();
  });

  it('after news, a prediction on the growing schedule is planned from what is now known', () => {
    const model = new RenderModel();
    const schedule = new LearnedSchedule(model, key(9), 0, POLICY, () => 0.5);
    for (const t of [250, 500, 750, 1000]) {
      expect(schedule.nextPollAt(t)).toBe(t);
      schedule.observe(answer('processing'), t);
    }
    expect(schedule.nextPollAt(1000)).toBe(1250);
    model.observe(key(3), 3000);
    // One render of 3 s: 1 s per second of video, ±30 % until more are seen → a 9 s render from 6.3 s.
    expect(schedule.nextPollAt(1100)).toBe(6300);
  });
});
