import { describe, expect, it } from 'vitest';
import { startMockServer } from '../../src/mock/index.js';
import { FIXTURE, I2V, T2V, client, i2vBody, startServer, submit, until, waitForEnd, type WirePrediction } from './helpers.js';

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

  it('passes through processing on the way', async () => {
    const server = await startServer({ processingAfterMs: 5, completeAfterMs: 400 });
    const { id } = await submit(server);
    const c = client(server);
    await until(() => server.stats().predictions.inFlight === 1);
    await new Promise((r) => setTimeout(r, 60));
    expect((await c.json<WirePrediction>(c.get(`/api/v3/predictions/${id}/result`))).body.data.status).toBe('processing');
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
    const server = await startServer({ refundAfterMs: 150, faults: { taskFailRate: 1 } });
    const { id } = await submit(server);
    await waitForEnd(server, id);
    expect(server.stats().refundsCents).toBe(0);
    await until(() => server.stats().refundsCents === 210);
    expect(server.stats().balanceCents).toBe(1_000_000);
  });

  it('queues tasks over maxConcurrentTasks as created', async () => {
    const server = await startServer({ maxConcurrentTasks: 1, processingAfterMs: 5, completeAfterMs: 150 });
    const first = await submit(server);
    const second = await submit(server);
    await new Promise((r) => setTimeout(r, 60));
    const c = client(server);
    const poll = async (id: string) => (await c.json<WirePrediction>(c.get(`/api/v3/predictions/${id}/result`))).body.data.status;
    expect([await poll(first.id), await poll(second.id)]).toEqual(['processing', 'created']);
    expect((await waitForEnd(server, second.id)).status).toBe('completed');
  });

  it('holds the answer until the end with enable_sync_mode (the SDKs option)', async () => {
    const server = await startServer();
    const c = client(server);
    const { body } = await c.json<WirePrediction>(c.post(`/api/v3/${I2V}`, i2vBody({ enable_sync_mode: true })));
    expect(body.data.status).toBe('completed');
    expect(server.stats().ignoredKeys).toEqual([]);
  });

  it('closes promptly with keep-alive sockets and tasks in flight, leaving no timers behind', async () => {
    const server = await startMockServer({ completeAfterMs: 60_000, refundAfterMs: 60_000 });
    await submit(server);
    const t0 = Date.now();
    await server.close();
    expect(Date.now() - t0).toBeLessThan(1_000);
    await expect(fetch(`${server.url}/__mock/stats`)).rejects.toThrow();
  });
});
