import { describe, expect, it } from 'vitest';
import { FaultInjector } from '../../src/mock/faults.js';
import { createRng } from '../../src/mock/prng.js';
import { manualClock } from '../helpers/manual-clock.js';
import { makePng } from '../helpers/images.js';
import { I2V, client, i2vBody, startServer, submit, until, uploadImage, waitForEnd, type WirePrediction } from './helpers.js';

describe('mock server: injected faults at rate 1', () => {
  it('error: answers one of errorStatuses with the envelope, and charges nothing', async () => {
    const server = await startServer({ faults: { errorRate: 1, errorStatuses: [503] } });
    const c = client(server);
    expect(await c.json(c.post(`/api/v3/${I2V}`, i2vBody()))).toMatchObject({ status: 503, body: { code: 503, data: null } });
    expect(server.stats()).toMatchObject({ submissions: 0, chargesCents: 0, faults: { error: 1 } });
  });

  it('rateLimit: answers 429 with Retry-After, or without it when retryAfterSeconds is 0', async () => {
    const server = await startServer({ faults: { rateLimitRate: 1, retryAfterSeconds: 7 } });
    const res = await client(server).get('/api/v3/balance');
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('7');
    expect(await res.json()).toMatchObject({ code: 429 });
    server.setFaults({ rateLimitRate: 1, retryAfterSeconds: 0 });
    const bare = await client(server).get('/api/v3/balance');
    expect([bare.status, bare.headers.get('retry-after')]).toEqual([429, null]);
    expect(server.stats().faults.rateLimit).toBe(2);
  });

  it('drop: destroys the socket without a response, and creates nothing', async () => {
    const server = await startServer({ faults: { dropRate: 1 } });
    await expect(client(server).post(`/api/v3/${I2V}`, i2vBody())).rejects.toThrow(TypeError);
    expect(server.stats()).toMatchObject({ submissions: 0, chargesCents: 0, faults: { drop: 1 } });
  });

  it('lostSubmit: creates and charges the prediction, drops the answer; the prediction is in the list', async () => {
    const server = await startServer({ listInputs: true, faults: { lostSubmitRate: 1, routes: ['submit'] } });
    const c = client(server);
    await expect(c.post(`/api/v3/${I2V}`, i2vBody({ prompt: 'lost' }))).rejects.toThrow(TypeError);
    expect(server.stats()).toMatchObject({ submissions: 1, chargesCents: 210, faults: { lostSubmit: 1 } });
    const { body } = await c.json<{ items: WirePrediction[] }>(c.post('/api/v3/predictions', { page: 1, page_size: 10 }));
    expect(body.data.items).toHaveLength(1);
    expect(body.data.items[0]?.input).toMatchObject({ prompt: 'lost' });
    expect((await waitForEnd(server, body.data.items[0]?.id ?? '')).status).toBe('completed');
  });

  it('lostSubmit: a body that fails validation is answered (400) and nothing is lost or charged', async () => {
    const server = await startServer({ faults: { lostSubmitRate: 1 } });
    const c = client(server);
    expect((await c.json(c.post(`/api/v3/${I2V}`, i2vBody({ duration: 99 })))).status).toBe(400);
    expect(server.stats()).toMatchObject({ chargesCents: 0, faults: { lostSubmit: 0 } });
  });

  it('taskFail: the task ends failed with a code-prefixed error and error_code, and is refunded', async () => {
    const server = await startServer({ faults: { taskFailRate: 1, taskFailCodes: [5003] } });
    const { id } = await submit(server);
    const done = await waitForEnd(server, id);
    expect(done).toMatchObject({ status: 'failed', error: '5003: service unavailable', error_code: 5003, outputs: [] });
    expect(server.stats()).toMatchObject({ chargesCents: 210, refundsCents: 210, faults: { taskFail: 1 }, predictions: { failed: 1 } });
    expect((await fetch(`${server.url}/files/outputs/${id}.mp4`)).status).toBe(404);
  });

  it('latency: holds every request latencyMs before handling it', async () => {
    const clock = manualClock();
    const server = await startServer({ clock, faults: { latencyMs: 150 } });
    const c = client(server);
    const answer = c.post(`/api/v3/${I2V}`, i2vBody());
    await clock.waitForTimers();
    expect(clock.nextIn()).toBe(150);
    clock.advance(149);
    // Still held: nothing handled, nothing charged.
    expect(clock.nextIn()).toBe(1);
    expect(server.stats()).toMatchObject({ submissions: 0, chargesCents: 0 });
    clock.advance(1);
    expect((await answer).status).toBe(200);
    expect(server.stats()).toMatchObject({ submissions: 1, faults: { latency: 1 } });
  });

  it('slow: handles the request, then answers slowMs late (a submit the client gave up on still exists)', async () => {
    const clock = manualClock();
    const server = await startServer({ clock, faults: { slowRate: 1, slowMs: 400, routes: ['submit'] } });
    const c = client(server);
    const gaveUp = new AbortController();
    const answer = c.post(`/api/v3/${I2V}`, i2vBody(), { signal: gaveUp.signal });
    // Handled and charged at once; the answer waits for the clock.
    await until(() => server.stats().submissions === 1);
    clock.advance(399);
    gaveUp.abort();
    await expect(answer).rejects.toThrow(/abort/i);
    expect(server.stats()).toMatchObject({ submissions: 1, chargesCents: 210, faults: { slow: 1 } });
  });

  it('slow: the answer comes once slowMs have passed', async () => {
    const clock = manualClock();
    const server = await startServer({ clock, faults: { slowRate: 1, slowMs: 400, routes: ['balance'] } });
    const answer = client(server).get('/api/v3/balance');
    await clock.waitForTimers();
    expect(clock.nextIn()).toBe(400);
    clock.advance(400);
    expect((await answer).status).toBe(200);
  });

  it('routes: faults hit only the listed routes', async () => {
    const server = await startServer({ faults: { errorRate: 1, routes: ['result'] } });
    const c = client(server);
    const { id } = await submit(server);
    expect((await c.get(`/api/v3/predictions/${id}/result`)).status).toBeGreaterThanOrEqual(500);
    expect((await c.get('/api/v3/balance')).status).toBe(200);
  });

  it('POST /__mock/faults changes faults at runtime (for out-of-process tests) and refuses bad ones', async () => {
    const server = await startServer();
    const set = (body: unknown) => fetch(`${server.url}/__mock/faults`, { method: 'POST', body: JSON.stringify(body) });
    expect((await set({ errorRate: 1, errorStatuses: [502] })).status).toBe(200);
    expect((await client(server).get('/api/v3/balance')).status).toBe(502);
    const bad = await set({ errorRate: 2 });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ message: 'mock faults: errorRate must be a number from 0 to 1, got 2' });
    expect((await set({})).status).toBe(200);
    expect((await client(server).get('/api/v3/balance')).status).toBe(200);
  });
});

describe('mock server: determinism and duplicate detection', () => {
  async function statusSequence(seed: number): Promise<number[]> {
    const server = await startServer({ seed, faults: { errorRate: 0.3, rateLimitRate: 0.2, errorStatuses: [500, 503] } });
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) statuses.push((await client(server).get('/api/v3/balance')).status);
    return statuses;
  }

  it('replays the same fault sequence from the same seed, and another from another seed', async () => {
    const a = await statusSequence(42);
    expect(await statusSequence(42)).toEqual(a);
    expect(new Set(a)).toEqual(new Set([200, 429, 500, 503]));
    expect(await statusSequence(43)).not.toEqual(a);
  });

  it('draws a fixed number of values per request, so one rate does not reshuffle another kind', () => {
    const withSlow = new FaultInjector(7, { errorRate: 0.5, slowRate: 0.5 });
    const without = new FaultInjector(7, { errorRate: 0.5 });
    const actions = (f: FaultInjector) => Array.from({ length: 50 }, () => f.planRequest('result').action);
    const a = actions(withSlow);
    expect(a).toEqual(actions(without));
    expect(a).toContain('error');
    expect(withSlow.counts.slow).toBeGreaterThan(0);
    expect(createRng(1)()).toBe(createRng(1)());
  });

  it('counts submits whose model + canonical body (keys sorted) was already submitted', async () => {
    const server = await startServer();
    await submit(server, { image: 'https://x/a.png', prompt: 'p', duration: 5 });
    await submit(server, { duration: 5, prompt: 'p', image: 'https://x/a.png' }); // same body, other key order
    await submit(server, { image: 'https://x/a.png', prompt: 'p', duration: 6 });
    expect(server.stats()).toMatchObject({ submissions: 3, distinctBodies: 2, duplicateSubmissions: 1 });
  });

  it('counts a submit of the same image uploaded again (a new URL, the same bytes) as paying twice', async () => {
    const server = await startServer();
    const still = makePng(400, 400);
    const first = await uploadImage(server, still, 'a.png');
    const again = await uploadImage(server, still, 'a.png'); // a client that lost its upload cache
    const other = await uploadImage(server, makePng(400, 401), 'a.png');
    expect(again).not.toBe(first);
    await submit(server, i2vBody({ image: first }));
    await submit(server, i2vBody({ image: other })); // another picture: another request
    expect(server.stats()).toMatchObject({ submissions: 2, duplicateSubmissions: 0 });
    await submit(server, i2vBody({ image: again }));
    expect(server.stats()).toMatchObject({ submissions: 3, distinctBodies: 2, duplicateSubmissions: 1 });
  });
});
