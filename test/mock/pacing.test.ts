import { describe, expect, it } from 'vitest';
import type { MockServerOptions } from '../../src/mock/index.js';
import { ManualClock, manualClock } from '../helpers/manual-clock.js';
import { I2V, client, i2vBody, listPage, result, startServer, submit, type MockServer, type WirePrediction } from './helpers.js';

/** Advances `clock` to each task end in turn; returns, per id, the time from `t0` at which it was seen terminal. */
async function endTimes(server: MockServer, clock: ManualClock, ids: string[], t0: number): Promise<Record<string, number>> {
  const ends: Record<string, number> = {};
  for (let next = clock.nextIn(); next !== undefined; next = clock.nextIn()) {
    clock.advance(next);
    for (const id of ids) {
      if (ends[id] === undefined && ['completed', 'failed'].includes((await result(server, id)).status)) ends[id] = clock.now() - t0;
    }
  }
  return ends;
}

describe('mock server: render time that follows the duration (renderTime)', () => {
  it('runs a task base + perSecond × duration, and reports that as timings.inference', async () => {
    const clock = manualClock();
    const server = await startServer({ clock, processingAfterMs: 50, renderTime: { baseMs: 2_000, perSecondMs: 1_000 } });
    const t0 = clock.now();
    const short = await submit(server, i2vBody({ duration: 3 }));
    const long = await submit(server, i2vBody({ duration: 15 }));
    clock.advance(50);
    expect((await result(server, short.id)).status).toBe('processing');
    expect(await endTimes(server, clock, [short.id, long.id], t0)).toEqual({ [short.id]: 5_000, [long.id]: 17_000 });
    expect((await result(server, short.id)).timings.inference).toBe(5_000);
    expect((await result(server, long.id)).timings.inference).toBe(17_000);
  });

  async function jitteredEnds(seed: number): Promise<number[]> {
    const clock = new ManualClock(0);
    const server = await startServer({ clock, seed, renderTime: { baseMs: 2_000, perSecondMs: 1_000, jitter: 0.15 } });
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) ids.push((await submit(server, i2vBody({ duration: 5 }))).id);
    const ends = await endTimes(server, clock, ids, 0);
    return Promise.all(ids.map(async (id) => (await result(server, id)).timings.inference)).then((inference) => {
      expect(inference).toEqual(ids.map((id) => ends[id]));
      return inference;
    });
  }

  it('spreads it by ±jitter, the same way for the same seed and submit order', async () => {
    const a = await jitteredEnds(5);
    expect(await jitteredEnds(5)).toEqual(a);
    expect(await jitteredEnds(6)).not.toEqual(a);
    for (const ms of a) expect(ms === Math.round(ms) && ms >= 5_950 && ms <= 8_050).toBe(true);
    expect(new Set(a).size).toBeGreaterThan(1);
  });

  it('without renderTime, every task takes completeAfterMs', async () => {
    const clock = manualClock();
    const server = await startServer({ clock, processingAfterMs: 5, completeAfterMs: 400 });
    const t0 = clock.now();
    const a = await submit(server, i2vBody({ duration: 3 }));
    const b = await submit(server, i2vBody({ duration: 15 }));
    expect(await endTimes(server, clock, [a.id, b.id], t0)).toEqual({ [a.id]: 400, [b.id]: 400 });
  });
});

describe('mock server: running-task limit (maxConcurrentTasks)', () => {
  it('keeps tasks over the limit created (queued), starts them in submit order as slots free; created_at is the submit time', async () => {
    const clock = manualClock();
    const server = await startServer({ clock, maxConcurrentTasks: 2, processingAfterMs: 10, completeAfterMs: 1_000 });
    const submitted: WirePrediction[] = [];
    for (let i = 0; i < 5; i++) {
      submitted.push(await submit(server, i2vBody({ prompt: `task ${i}` })));
      clock.advance(1);
    }
    const statuses = async () => Promise.all(submitted.map(async (p) => (await result(server, p.id)).status));
    expect(server.stats()).toMatchObject({ predictions: { running: 2, queued: 3, inFlight: 5 }, peakRunning: 2 });
    clock.advance(10);
    expect(await statuses()).toEqual(['processing', 'processing', 'created', 'created', 'created']);
    clock.advance(1_000 - 15); // the first ends (at 1,000): the third starts, the fourth still waits
    expect(await statuses()).toEqual(['completed', 'processing', 'created', 'created', 'created']);
    clock.advance(10); // the third, started first, turns processing first
    expect(await statuses()).toEqual(['completed', 'completed', 'processing', 'created', 'created']);
    clock.advance(1);
    expect(await statuses()).toEqual(['completed', 'completed', 'processing', 'processing', 'created']);
    clock.advance(1_000);
    expect(await statuses()).toEqual(['completed', 'completed', 'completed', 'completed', 'processing']);
    clock.advance(1_000);
    expect(server.stats()).toMatchObject({ predictions: { completed: 5, running: 0, queued: 0 }, peakRunning: 2 });
    const done = await Promise.all(submitted.map((p) => result(server, p.id)));
    // Stamped at submit, 1 ms apart, though the last started 2 s later; inference is only the run.
    expect(done.map((p) => p.created_at)).toEqual(submitted.map((p) => p.created_at));
    expect(done.map((p) => Date.parse(p.created_at) - Date.parse(submitted[0]?.created_at ?? ''))).toEqual([0, 1, 2, 3, 4]);
    expect(done.map((p) => p.timings.inference)).toEqual([1_000, 1_000, 1_000, 1_000, 1_000]);
  });
});

describe('mock server: submits per minute (submitsPerMinute)', () => {
  it('answers a submit over the limit 429 with Retry-After, creates and charges nothing, and counts it', async () => {
    const clock = manualClock();
    const server = await startServer({ clock, submitsPerMinute: 2 });
    const c = client(server);
    await submit(server);
    clock.advance(20_000);
    await submit(server);
    const refused = await c.post(`/api/v3/${I2V}`, i2vBody({ prompt: 'third' }));
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('40'); // the first leaves the window at 60 s
    expect(await refused.json()).toMatchObject({ code: 429, data: null });
    expect(server.stats()).toMatchObject({ submissions: 2, chargesCents: 420, rateLimited: 1, billing: { charges: 2 }, faults: { rateLimit: 0 } });
    expect((await listPage(server)).total).toBe(2);
    clock.advance(39_900);
    const almost = await c.post(`/api/v3/${I2V}`, i2vBody());
    expect([almost.status, almost.headers.get('retry-after')]).toEqual([429, '1']); // whole seconds, at least 1
    clock.advance(100);
    await submit(server); // the window slid: one place is free
    const next = await c.post(`/api/v3/${I2V}`, i2vBody());
    expect([next.status, next.headers.get('retry-after')]).toEqual([429, '20']); // the second leaves at 80 s
    expect(server.stats()).toMatchObject({ submissions: 3, rateLimited: 3 });
  });

  it('counts only accepted submits: a refused body takes no place in the window', async () => {
    const server = await startServer({ clock: manualClock(), submitsPerMinute: 1 });
    const c = client(server);
    expect((await c.post(`/api/v3/${I2V}`, i2vBody({ duration: 99 }))).status).toBe(400);
    await submit(server);
    expect((await c.post(`/api/v3/${I2V}`, i2vBody())).status).toBe(429);
    // Over the limit, the limit answers first, as a gateway's would.
    expect((await c.post(`/api/v3/${I2V}`, i2vBody({ duration: 99 }))).status).toBe(429);
    expect(server.stats()).toMatchObject({ submissions: 1, rateLimited: 2 });
  });
});

describe('mock server: pacing options', () => {
  it.each<[MockServerOptions, string]>([
    [{ renderTime: { baseMs: 1_000, perSecondMs: 100, jitter: 1 } }, 'renderTime.jitter must be a fraction from 0 to below 1, got 1'],
    [{ renderTime: { baseMs: -1, perSecondMs: 100 } }, 'renderTime.baseMs must be a number ≥ 0, got -1'],
    [{ submitsPerMinute: 0 }, 'submitsPerMinute must be an integer ≥ 1, got 0'],
  ])('refuses %j', async (options, message) => {
    await expect(startServer(options)).rejects.toThrow(message);
  });
});
