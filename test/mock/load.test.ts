import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { manualClock } from '../helpers/manual-clock.js';
import { I2V, client, i2vBody, startServer, type WirePrediction } from './helpers.js';

async function pool<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const runners = Array.from({ length: limit }, async () => {
    while (next < items.length) await work(items[next++] as T);
  });
  await Promise.all(runners);
}

describe('mock server under load and abuse', () => {
  it('takes 1,000 predictions with 100 requests in flight, each polled to completion and listed', async () => {
    const clock = manualClock();
    const server = await startServer({ clock, processingAfterMs: 20, completeAfterMs: 100 });
    const c = client(server);
    const ids: string[] = [];
    const pollAll = async (want: string, which = ids) => {
      await pool(which, 100, async (id) => {
        expect((await c.json<WirePrediction>(c.get(`/api/v3/predictions/${id}/result`))).body.data.status).toBe(want);
      });
    };
    await pool(
      Array.from({ length: 1000 }, (_, i) => i),
      100,
      async (i) => {
        const res = await c.json<WirePrediction>(c.post(`/api/v3/${I2V}`, i2vBody({ prompt: `shot ${i}` })));
        expect(res.body.data.status).toBe('created');
        ids.push(res.body.data.id);
      },
    );
    clock.advance(20);
    await pollAll('processing', ids.slice(0, 100));
    clock.advance(80);
    await pollAll('completed');
    expect(server.stats()).toMatchObject({
      submissions: 1000,
      distinctBodies: 1000,
      chargesCents: 210_000,
      polls: 1100,
      predictions: { completed: 1000, inFlight: 0 },
    });
    const page = await c.json<{ total: number }>(c.post('/api/v3/predictions', { page: 1, page_size: 100 }));
    expect(page.body.data.total).toBe(1000);
  }, 120_000); // 4,000 requests: on a machine shared with other test runs this can take a while (never asserted)

  it('survives clients that vanish mid-request (half a body, then a reset), charging nothing', async () => {
    const server = await startServer();
    const { port } = server;
    await Promise.all(
      Array.from(
        { length: 20 },
        () =>
          new Promise<void>((resolve) => {
            const socket = connect(port, '127.0.0.1', () => {
              socket.write(
                `POST /api/v3/${I2V} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${server.apiKey}\r\n` +
                  'Content-Type: application/json\r\nContent-Length: 500\r\n\r\n{"prompt":"half',
              );
              setTimeout(() => {
                socket.resetAndDestroy();
                resolve();
              }, 20);
            });
          }),
      ),
    );
    const c = client(server);
    expect((await c.get('/api/v3/balance')).status).toBe(200);
    expect(server.stats()).toMatchObject({ submissions: 0, chargesCents: 0 });
  });
});
