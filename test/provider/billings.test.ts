import nock from 'nock';
import { describe, expect, test } from 'vitest';
import { BILLING_WINDOW_MS } from '../../src/provider/billings.js';
import { BASE, envelope, makeClient, MODEL, NOW, rejectionOf, useNock } from './helpers.js';

/**
 * `POST /api/v3/billings/search` (docs/ARCHITECTURE.md "API facts we rely on"): every page of a window, read through
 * `has_more`, up to a page cap that is reported, never a silent cut; a window reaching back no further than the 7
 * days the server keeps; amounts in cents by their decimal text, the type telling a refund apart.
 */

useNock();

const PATH = '/api/v3/billings/search';

const item = (n: number, type = 'charge', price: number | string = 2.1) => ({
  uuid: `bill-${n}`,
  billing_type: type,
  price,
  created_at: new Date(NOW - n * 1000).toISOString(),
  prediction: { uuid: `pred-${n}`, model_uuid: MODEL, status: 'completed' },
});

describe('billings search', () => {
  test('reads page after page while has_more, and maps each item', async () => {
    const { client } = makeClient();
    const bodies: unknown[] = [];
    const scope = nock(BASE)
      .post(PATH, (b) => bodies.push(b) > 0)
      .reply(200, envelope({ page: 1, has_more: true, items: [item(1), item(2, 'refund')] }))
      .post(PATH, (b) => bodies.push(b) > 0)
      .reply(200, envelope({ page: 2, has_more: false, items: [item(3, 'charge', '1.255')] }));
    const start = NOW - 3_600_000;
    const r = await client.billings({ startMs: start });
    scope.done();
    expect(bodies).toEqual([1, 2].map((page) => ({ page, page_size: 100, start_time: new Date(start).toISOString(), end_time: new Date(NOW).toISOString() })));
    expect(r).toMatchObject({ pages: 2, complete: true, startMs: start, endMs: NOW });
    expect(r.items).toEqual([
      { uuid: 'bill-1', type: 'charge', cents: 210, createdAt: item(1).created_at, predictionId: 'pred-1', model: MODEL, predictionStatus: 'completed' },
      expect.objectContaining({ type: 'refund', cents: 210, predictionId: 'pred-2' }),
      expect.objectContaining({ type: 'charge', cents: 126, predictionId: 'pred-3' }),
    ]);
  });

  test('stops at the page cap and says the bill is incomplete', async () => {
    const { client } = makeClient();
    const scope = nock(BASE)
      .post(PATH)
      .times(3)
      .reply(200, envelope({ page: 1, has_more: true, items: [item(1)] }));
    const r = await client.billings({ startMs: NOW - 60_000, maxPages: 3 });
    scope.done();
    expect(r).toMatchObject({ pages: 3, complete: false });
    expect(r.items).toHaveLength(3);
  });

  test('never asks further back than the 7 days the server keeps', async () => {
    const { client } = makeClient();
    let asked: { start_time?: string } = {};
    nock(BASE)
      .post(PATH, (b) => {
        asked = b;
        return true;
      })
      .reply(200, envelope({ page: 1, has_more: false, items: [] }));
    const r = await client.billings({ startMs: NOW - 30 * 24 * 3_600_000 });
    expect(r.startMs).toBe(NOW - BILLING_WINDOW_MS);
    expect(asked.start_time).toBe(new Date(NOW - BILLING_WINDOW_MS).toISOString());
  });

  test('a signed refund amount is read as its magnitude; an item without a prediction is kept without one', async () => {
    const { client } = makeClient();
    nock(BASE)
      .post(PATH)
      .reply(200, envelope({ page: 1, has_more: false, items: [item(1, 'refund', -2.1), { uuid: 'top-up', billing_type: 'top_up', price: 50 }] }));
    const r = await client.billings({ startMs: NOW - 60_000 });
    expect(r.items).toEqual([expect.objectContaining({ type: 'refund', cents: 210, predictionId: 'pred-1' }), { uuid: 'top-up', type: 'top_up', cents: 5000 }]);
  });

  test('an amount that is not a number is BAD_RESPONSE', async () => {
    const { client } = makeClient();
    nock(BASE)
      .post(PATH)
      .reply(200, envelope({ page: 1, has_more: false, items: [item(1, 'charge', 'lots')] }));
    expect((await rejectionOf(client.billings({ startMs: NOW - 60_000 }))).code).toBe('BAD_RESPONSE');
  });

  test('a full page without has_more is taken as "there may be more"', async () => {
    const { client } = makeClient();
    const full = Array.from({ length: 100 }, (_, i) => item(i));
    const scope = nock(BASE)
      .post(PATH)
      .reply(200, envelope({ page: 1, items: full }))
      .post(PATH)
      .reply(200, envelope({ page: 2, items: [item(100)] }));
    const r = await client.billings({ startMs: NOW - 3_600_000 });
    scope.done();
    expect(r.items).toHaveLength(101);
  });
});
