import { describe, expect, it } from 'vitest';
import { manualClock } from '../helpers/manual-clock.js';
import { I2V, T2V, client, i2vBody, startServer, submit, type MockServer } from './helpers.js';

interface BillingItem {
  uuid: string;
  billing_type: string;
  price: number;
  created_at: string;
  prediction?: { uuid: string; model_uuid: string; status: string };
}

interface BillingPage {
  page: number;
  has_more: boolean;
  items: BillingItem[];
}

async function search(server: MockServer, query: Record<string, unknown>) {
  const c = client(server);
  return c.json<BillingPage>(c.post('/api/v3/billings/search', query));
}

async function items(server: MockServer, query: Record<string, unknown> = {}): Promise<BillingItem[]> {
  const { status, body } = await search(server, { page: 1, page_size: 100, ...query });
  if (status !== 200) throw new Error(`billing search failed: ${status} ${body.message}`);
  return body.data.items;
}

describe('mock server: POST /api/v3/billings/search', () => {
  it('holds one charge per accepted submit, at submit time, in USD, with its prediction', async () => {
    const clock = manualClock();
    const server = await startServer({ clock });
    const a = await submit(server, i2vBody({ duration: 7 }));
    clock.advance(1_000);
    const b = await submit(server, { prompt: 'sea', duration: 3 }, T2V);
    const { status, body } = await search(server, { page: 1, page_size: 10 });
    expect(status).toBe(200);
    expect(body).toMatchObject({ code: 200, data: { page: 1, has_more: false } });
    expect(body.data.items).toEqual([
      {
        uuid: expect.stringMatching(/^[0-9a-f-]{36}$/),
        billing_type: 'charge',
        price: 1.26,
        created_at: b.created_at,
        prediction: { uuid: b.id, model_uuid: T2V, status: 'created' },
      },
      {
        uuid: expect.stringMatching(/^[0-9a-f-]{36}$/),
        billing_type: 'charge',
        price: 2.94,
        created_at: a.created_at,
        // The prediction's status now, not at the charge.
        prediction: { uuid: a.id, model_uuid: I2V, status: 'completed' },
      },
    ]);
    expect(server.stats().billing).toEqual({ charges: 2, refunds: 0, searches: 1 });
  });

  it('adds a refund item (a positive price, billing_type "refund") when a failed task is refunded, not before', async () => {
    const clock = manualClock();
    const server = await startServer({ clock, processingAfterMs: 5, completeAfterMs: 20, refundAfterMs: 60_000, faults: { taskFailRate: 1 } });
    const { id } = await submit(server);
    clock.advance(20);
    expect((await items(server)).map((i) => i.billing_type)).toEqual(['charge']);
    expect(server.stats()).toMatchObject({ refundsCents: 0, refundsPendingCents: 210 });
    clock.advance(60_000);
    const [refund, charge] = await items(server);
    expect(refund).toMatchObject({ billing_type: 'refund', price: 2.1, prediction: { uuid: id, status: 'failed' } });
    expect(refund?.created_at).toBe(new Date(clock.now()).toISOString());
    expect(charge).toMatchObject({ billing_type: 'charge', price: 2.1, prediction: { uuid: id, status: 'failed' } });
    expect(server.stats()).toMatchObject({ refundsCents: 210, refundsPendingCents: 0, billing: { charges: 1, refunds: 1 } });
  });

  it('counts a lost submit: created and charged, so billed, though its answer never came', async () => {
    const server = await startServer({ faults: { lostSubmitRate: 1, routes: ['submit'] } });
    await expect(client(server).post(`/api/v3/${I2V}`, i2vBody())).rejects.toThrow(TypeError);
    expect((await items(server)).map((i) => [i.billing_type, i.price])).toEqual([['charge', 2.1]]);
  });

  it('pages newest first with has_more, and filters by billing_type, model_uuid and time (inclusive)', async () => {
    const clock = manualClock();
    const server = await startServer({ clock });
    const made = [];
    for (let i = 0; i < 5; i++) {
      made.push(await submit(server, i2vBody({ prompt: `p${i}` }), i % 2 === 0 ? I2V : T2V));
      clock.advance(1_000);
    }
    const ids = (list: BillingItem[]) => list.map((i) => i.prediction?.uuid);
    const newest = made.map((p) => p.id).reverse();
    const page1 = (await search(server, { page: 1, page_size: 2 })).body.data;
    expect([page1.has_more, ids(page1.items)]).toEqual([true, newest.slice(0, 2)]);
    const page3 = (await search(server, { page: 3, page_size: 2 })).body.data;
    expect([page3.page, page3.has_more, ids(page3.items)]).toEqual([3, false, newest.slice(4)]);
    expect((await search(server, { page: 2, page_size: 2 })).body.data.has_more).toBe(true);
    expect(ids(await items(server, { model_uuid: T2V }))).toEqual([made[3]?.id, made[1]?.id]);
    expect(await items(server, { billing_type: 'refund' })).toEqual([]);
    expect(await items(server, { billing_type: 'charge' })).toHaveLength(5);
    const window = { start_time: made[1]?.created_at, end_time: made[3]?.created_at };
    expect(ids(await items(server, window))).toEqual([made[3]?.id, made[2]?.id, made[1]?.id]);
  });

  it.each([
    [{ page_size: 10 }, 'page is required (an integer from 1 to'],
    [{ page: 1 }, 'page_size is required (an integer from 1 to 100)'],
    [{ page: 1, page_size: 101 }, 'page_size must be an integer from 1 to 100, got 101'],
    [{ page: 1, page_size: 10, billing_type: 'deduct' }, 'billing_type must be one of charge, refund, got "deduct"'],
    [{ page: 1, page_size: 10, start_time: 'last week' }, 'start_time must be an ISO 8601 time, got "last week"'],
  ])('answers 400 to %j', async (query, message) => {
    const server = await startServer();
    const { status, body } = await search(server, query);
    expect([status, body.code]).toEqual([400, 400]);
    expect(body.message).toContain(message);
  });

  it('needs the bearer key, and is a fault route of its own (billing)', async () => {
    const server = await startServer({ faults: { errorRate: 1, errorStatuses: [503], routes: ['billing'] } });
    const anonymous = client(server, null);
    expect((await anonymous.json(anonymous.post('/api/v3/billings/search', { page: 1, page_size: 10 }))).status).toBe(401);
    expect((await search(server, { page: 1, page_size: 10 })).status).toBe(503);
    await submit(server); // other routes are untouched
    expect(server.stats()).toMatchObject({ faults: { error: 1 }, billing: { charges: 1, searches: 0 } });
  });
});
