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

  it('a duration seen twice is estimated by its own renders, with their spread', () => {
    const est = trainedModel().estimate(key(9))!;
    expect(est.midMs).toBeCloseTo(9000);
    expect(est.lowMs).toBeCloseTo(8100);
    expect(est.highMs).toBeCloseTo(9900);
  });

  it('a duration never seen is fitted from the others (base + per second), with a wider window', () => {
    const model = new RenderModel();
    model.observe(key(4), 2000 + 4 * 500);
    model.observe(key(10), 2000 + 10 * 500);
    const est = model.estimate(key(6))!;
    expect(est.midMs).toBeCloseTo(5000);
    expect(est.lowMs).toBeLessThan(5000);
    expect(est.highMs).toBeGreaterThan(5000);
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
  it('with nothing known, the growing schedule of --poll-interval and --poll-growth applies', () => {
    const schedule = new LearnedSchedule(new RenderModel(), key(9), 0, POLICY, () => 0.5);
    const polls = walk(schedule, (t) => (t >= 9000 ? 'completed' : 'processing'));
    // 250, ×1.5 each wait: 250 + 375 + 563 + 844 + 1266 + 1898 + 2848 + 4271 → first at or past 9 s
    expect(polls).toEqual([250, 625, 1188, 2032, 3298, 5196, 8044, 12315]);
  });

  it('the first poll comes when the render may first be done, then every floor until it is', () => {
    const schedule = new LearnedSchedule(trainedModel(), key(9), 0, POLICY, () => 0.5);
    const polls = walk(schedule, (t) => (t >= 8700 ? 'completed' : 'processing'));
    expect(polls).toEqual([8100, 8350, 8600, 8850]);
  });

  it('a poll that got no answer (a 404 not yet believed, an outage) counts: the next is a floor later, never at once', () => {
    const schedule = new LearnedSchedule(trainedModel(), key(9), 0, POLICY, () => 0.5);
    const first = schedule.nextPollAt(0);
    schedule.missed(first);
    const second = schedule.nextPollAt(first);
    schedule.missed(second);
    const third = schedule.nextPollAt(second);
    expect([first, second, third]).toEqual([8100, 8350, 8600]);
  });

  it('with nothing known, a poll that got no answer moves the growing schedule on', () => {
    const schedule = new LearnedSchedule(new RenderModel(), key(9), 0, POLICY, () => 0.5);
    schedule.missed(schedule.nextPollAt(0));
    expect(schedule.nextPollAt(250)).toBe(625);
  });

  it('never polls more often than the floor, even when the window is narrower', () => {
    const floor = { ...POLICY, initialMs: 1000 };
    const schedule = new LearnedSchedule(trainedModel(), key(3), 0, floor, () => 0.5);
    const polls = walk(schedule, (t) => (t >= 3200 ? 'completed' : 'processing'));
    expect(polls).toEqual([2700, 3700]);
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
    for (const t of [250, 625, 1188, 2032, 3298]) {
      expect(schedule.nextPollAt(t)).toBe(t);
      schedule.observe(answer('processing'), t);
    }
    expect(schedule.nextPollAt(3298)).toBe(5196);
    model.observe(key(3), 3000);
    // One render of 3 s: 1 s per second of video, ±25 % until the spread is seen → a 9 s render from 6.75 s.
    expect(schedule.nextPollAt(3400)).toBe(6750);
  });
});
