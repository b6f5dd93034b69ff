import { describe, expect, it } from 'vitest';
import { startMockServer } from '../../src/mock/index.js';
import { manualClock } from '../helpers/manual-clock.js';
import { FIXTURE, I2V, T2V, client, i2vBody, startServer, submit, until, waitForEnd, type MockServer, type WirePrediction } from './helpers.js';

async function statusOf(server: MockServer, id: string): Promise<string> {
  const c = client(server);
  return (await c.json<WirePrediction>(c.get(`/api/v3/predictions/${id}/result`))).body.data.status;
}

describe('mock server: auth and routes', () => {
  it.each([
    ['no key', null],
    ['a wrong key', 'not-the-key'],
  ])('answers 401 with %s on every /api/v3 route', async (_label, key) => {
    const server = await startServer();
    const c = client(server, key);
    for (const res of [c.get('/api/v3/balance'), c.post(`/api/v3/${I2V}`, i2vBody()), c.get('/api/v3/predictions/x/result')]) {
      const { status, body } = await c.json(res);
      expect(status).toBe(401);
      expect(body).toMatchObject({ code: 401, data: null });
    }
    expect(server.stats().submissions).toBe(0);
  });

  it('binds to 127.0.0.1 by default and serves stats without a key', async () => {
    const server = await startServer();
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const stats = await (await fetch(`${server.url}/__mock/stats`)).json();
    expect(stats).toMatchObject({ submissions: 0, balanceCents: 1_000_000 });
  });

  it('logs one line per request and per fault, never the key', async () => {
    const lines: string[] = [];
    const server = await startServer({ apiKey: 'sk-secret-123', log: (l) => lines.push(l), faults: { errorRate: 1, routes: ['balance'] } });
    await client(server).get('/api/v3/balance');
    await submit(server);
    await until(() => lines.some((l) => l.includes(`POST /api/v3/${I2V} 200`)));
    expect(lines.some((l) => /^mock: GET \/api\/v3\/balance 5\d\d \d+ms$/.test(l))).toBe(true);
    expect(lines).toContain('mock: fault error on balance');
    expect(lines.join('\n')).not.toContain('sk-secret-123');
  });

  it('answers 404 for an unknown model and 404 for an unknown prediction', async () => {
    const server = await startServer();
    const c = client(server);
    expect(await c.json(c.post('/api/v3/kwaivgi/nope', i2vBody()))).toMatchObject({
      status: 404,
      body: { code: 404, message: 'Model not found: kwaivgi/nope' },
    });
    expect((await c.json(c.get('/api/v3/predictions/abc/result'))).status).toBe(404);
    expect(server.stats().chargesCents).toBe(0);
  });
});

describe('mock server: predictions', () => {
  it('submits (created), polls to completed, and serves the fixture MP4 at the output URL', async () => {
    const server = await startServer();
    const created = await submit(server);
    expect(created).toMatchObject({ model: I2V, status: 'created', outputs: [], error: '' });
    expect(created.urls.get).toBe(`${server.url}/api/v3/predictions/${created.id}/result`);
    const done = await waitForEnd(server, created.id);
    expect(done.status).toBe('completed');
    expect(done.outputs).toEqual([`${server.url}/files/outputs/${created.id}.mp4`]);
    const file = await fetch(done.outputs[0] ?? '');
    expect(file.headers.get('content-type')).toBe('video/mp4');
    expect(Buffer.from(await file.arrayBuffer()).equals(FIXTURE)).toBe(true);
    expect(server.stats()).toMatchObject({ submissions: 1, downloads: 1, predictions: { completed: 1, failed: 0, inFlight: 0 } });
  });

  it('passes through processing on the way: created, processing at processingAfterMs, completed at completeAfterMs', async () => {
    const clock = manualClock();
    const server = await startServer({ clock, processingAfterMs: 5, completeAfterMs: 400 });
    const { id } = await submit(server);
    expect(await statusOf(server, id)).toBe('created');
    clock.advance(4);
    expect(await statusOf(server, id)).toBe('created');
    clock.advance(1);
    expect(await statusOf(server, id)).toBe('processing');
    clock.advance(394);
    expect(await statusOf(server, id)).toBe('processing');
    clock.advance(1);
    expect(await statusOf(server, id)).toBe('completed');
    expect(server.stats().predictions).toEqual({ completed: 1, failed: 0, inFlight: 0, running: 0, queued: 0 });
  });

  it('stamps created_at from its clock', async () => {
    const clock = manualClock();
    const server = await startServer({ clock });
    const first = await submit(server);
    clock.advance(1234);
    const second = await submit(server);
    expect(first.created_at).toBe(new Date(clock.now() - 1234).toISOString());
    expect(second.created_at).toBe(new Date(clock.now()).toISOString());
  });

  it('charges duration × price at submit, in exact cents, and reports the balance in USD', async () => {
    const server = await startServer({ balanceUsd: 100 });
    const c = client(server);
    await submit(server, i2vBody({ duration: 7 }));
    await submit(server, { prompt: 'sea', duration: 3 }, T2V);
    expect(server.stats()).toMatchObject({ chargesCents: 294 + 126, balanceCents: 10_000 - 420 });
    expect((await c.json(c.get('/api/v3/balance'))).body.data).toEqual({ balance: 95.8 });
  });

  it('refuses a submit the balance does not cover, and moves no money', async () => {
    const server = await startServer({ balanceUsd: 2 });
    const c = client(server);
    const { status, body } = await c.json(c.post(`/api/v3/${I2V}`, i2vBody({ duration: 5 })));
    expect(status).toBe(400);
    expect(body.message).toMatchInlineSnapshot(`"Insufficient balance: this task costs $2.10, the balance is $2.00. Please top up."`);
    expect(server.stats()).toMatchObject({ submissions: 0, chargesCents: 0, balanceCents: 200 });
    await submit(server, i2vBody({ duration: 3 })); // $1.26 still fits
    expect(server.stats().balanceCents).toBe(74);
  });

  it('quotes prices for free at /api/v3/model/price', async () => {
    const server = await startServer();
    const c = client(server);
    const { body } = await c.json(c.post('/api/v3/model/price', { model_id: I2V, inputs: i2vBody({ duration: 15 }) }));
    expect(body.data).toMatchObject({ price: 6.3, discounted_price: 6.3 });
    expect(server.stats().chargesCents).toBe(0);
  });

  it('fails a task whose image is a missing upload on this server with 1402, and refunds it', async () => {
    const server = await startServer();
    const { id } = await submit(server, i2vBody({ image: `${server.url}/files/media/doesnotexist/a.png` }));
    const done = await waitForEnd(server, id);
    expect(done).toMatchObject({ status: 'failed', error_code: 1402, outputs: [] });
    expect(done.error).toMatch(/^1402: media URL not fetchable/);
    expect(server.stats()).toMatchObject({ chargesCents: 210, refundsCents: 210, balanceCents: 1_000_000 });
  });

  it('refunds a failed task only after refundAfterMs', async () => {
    const clock = manualClock();
    const server = await startServer({ clock, processingAfterMs: 5, completeAfterMs: 20, refundAfterMs: 150, faults: { taskFailRate: 1 } });
    const { id } = await submit(server);
    clock.advance(20);
    expect(await statusOf(server, id)).toBe('failed');
    clock.advance(149);
    expect(server.stats()).toMatchObject({ refundsCents: 0, balanceCents: 1_000_000 - 210 });
    clock.advance(1);
    expect(server.stats()).toMatchObject({ refundsCents: 210, balanceCents: 1_000_000 });
  });

  it('queues tasks over maxConcurrentTasks as created, and starts the next when one ends', async () => {
    const clock = manualClock();
    const server = await startServer({ clock, maxConcurrentTasks: 1, processingAfterMs: 5, completeAfterMs: 150 });
    const first = await submit(server);
    const second = await submit(server);
    const both = async () => [await statusOf(server, first.id), await statusOf(server, second.id)];
    clock.advance(5);
    expect(await both()).toEqual(['processing', 'created']);
    clock.advance(145);
    expect(await both()).toEqual(['completed', 'created']);
    clock.advance(5);
    expect(await both()).toEqual(['completed', 'processing']);
    clock.advance(145);
    expect(await both()).toEqual(['completed', 'completed']);
  });

  it('holds the answer until the end with enable_sync_mode (the SDKs option)', async () => {
    const server = await startServer();
    const c = client(server);
    const { body } = await c.json<WirePrediction>(c.post(`/api/v3/${I2V}`, i2vBody({ enable_sync_mode: true })));
    expect(body.data.status).toBe('completed');
    expect(server.stats().ignoredKeys).toEqual([]);
  });

  it('closes promptly with keep-alive sockets and tasks in flight, leaving no timers behind', async () => {
    const clock = manualClock();
    const server = await startMockServer({ clock, completeAfterMs: 60_000, refundAfterMs: 60_000 });
    await submit(server);
    expect(clock.pending).toBe(1);
    // The keep-alive socket would hold close() open for 30 s (its timeout), were it not cut.
    const t0 = Date.now();
    await server.close();
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(clock.pending).toBe(0);
    await expect(fetch(`${server.url}/__mock/stats`)).rejects.toThrow();
  });
});
