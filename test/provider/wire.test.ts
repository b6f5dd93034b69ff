import nock from 'nock';
import { describe, expect, test } from 'vitest';
import { isTerminal, usdToCentsExact } from '../../src/provider/index.js';
import { BASE, envelope, makeClient, MODEL, predictionData, rejectionOf, useNock } from './helpers.js';

useNock();

const RESULT_PATH = '/api/v3/predictions/pred-1/result';

describe('prediction parsing', () => {
  test('maps the wire fields', async () => {
    const { client } = makeClient();
    nock(BASE)
      .get(RESULT_PATH)
      .reply(
        200,
        envelope(
          predictionData({
            status: 'completed',
            outputs: ['https://cdn.wavespeed.test/a.mp4'],
            has_nsfw_contents: [false],
            timings: { inference: 81_234 },
            input: { prompt: 'p', duration: 5 },
          }),
        ),
      );
    expect(await client.getResult('pred-1')).toEqual({
      id: 'pred-1',
      model: MODEL,
      status: 'completed',
      outputs: ['https://cdn.wavespeed.test/a.mp4'],
      createdAt: '2025-06-01T12:00:00.000Z',
      hasNsfw: [false],
      inferenceMs: 81_234,
      input: { prompt: 'p', duration: 5 },
    });
  });

  test('outputs may be objects with a url; anything else is kept in rawOutputs', async () => {
    const { client } = makeClient();
    const outputs = [{ url: 'https://cdn.wavespeed.test/a.mp4' }, { element_id: '123456789012345' }];
    nock(BASE)
      .get(RESULT_PATH)
      .reply(200, envelope(predictionData({ status: 'completed', outputs })));
    const p = await client.getResult('pred-1');
    expect(p.outputs).toEqual(['https://cdn.wavespeed.test/a.mp4']);
    expect(p.rawOutputs).toEqual(outputs);
  });

  test.each([
    [{ error_code: 1200, error: 'flagged' }, 1200],
    [{ error_code: '1402', error: 'cannot fetch image' }, 1402],
    [{ code: 5003, error: 'unavailable' }, 5003],
    [{ error: '1401: invalid param duration' }, 1401],
    [{ error: '[5004] timed out' }, 5004],
    [{ error: 'something broke' }, undefined],
  ])('a failed task %j has task code %s', async (fields, taskCode) => {
    const { client } = makeClient();
    nock(BASE)
      .get(RESULT_PATH)
      .reply(200, envelope(predictionData({ status: 'failed', ...fields })));
    expect((await client.getResult('pred-1')).taskCode).toBe(taskCode);
  });

  test('an unknown status is kept as is and is not terminal', async () => {
    const { client } = makeClient();
    nock(BASE)
      .get(RESULT_PATH)
      .reply(200, envelope(predictionData({ status: 'queued' })));
    const p = await client.getResult('pred-1');
    expect(p.status).toBe('queued');
    expect(isTerminal(p.status)).toBe(false);
  });

  test.each([
    ['created', false],
    ['processing', false],
    ['completed', true],
    ['failed', true],
    ['cancelled', true],
    ['timeout', true],
    ['deleted', true],
  ])('status %s terminal: %s', (status, terminal) => {
    expect(isTerminal(status)).toBe(terminal);
  });
});

describe('list', () => {
  test('sends page, page_size and only the filters given', async () => {
    const { client } = makeClient();
    const scope = nock(BASE)
      .post('/api/v3/predictions', { page: 2, page_size: 50, model: MODEL, created_after: '2025-06-01T00:00:00Z' })
      .reply(200, envelope({ page: 2, total: 51, items: [predictionData()] }));
    const page = await client.listPredictions({ page: 2, page_size: 50, model: MODEL, created_after: '2025-06-01T00:00:00Z' });
    expect(page).toMatchObject({ page: 2, total: 51, items: [{ id: 'pred-1' }] });
    scope.done();
  });

  test('accepts a bare array as data', async () => {
    const { client } = makeClient();
    nock(BASE)
      .post('/api/v3/predictions')
      .reply(200, envelope([predictionData({ id: 'a' }), predictionData({ id: 'b' })]));
    const page = await client.listPredictions({});
    expect(page.page).toBe(1);
    expect(page.total).toBeUndefined();
    expect(page.items.map((p) => p.id)).toEqual(['a', 'b']);
  });

  test('refuses a page_size outside 1..100 before any request', async () => {
    const { client } = makeClient();
    expect((await rejectionOf(client.listPredictions({ page_size: 101 }))).code).toBe('INVALID_INPUT');
  });
});

describe('money', () => {
  test.each<[number | string, number | null, number | null]>([
    [0.42, 42, 42],
    [2.1, 210, 210],
    [6.3, 630, 630],
    [0.425, 43, 42],
    [0.005, 1, 0],
    [0.0049, 0, 0],
    [1.999, 200, 199],
    [12, 1200, 1200],
    [1e-7, 0, 0],
    ['3.50', 350, 350],
    [-0.001, 0, -1],
    [Number.NaN, null, null],
    ['abc', null, null],
  ])('%j USD is %j cents half up and %j cents floored', (usd, halfUp, floor) => {
    expect(usdToCentsExact(usd, 'half-up')).toBe(halfUp);
    expect(usdToCentsExact(usd, 'floor')).toBe(floor);
  });

  test('balance is floored to the cent', async () => {
    const { client } = makeClient();
    nock(BASE)
      .get('/api/v3/balance')
      .reply(200, envelope({ balance: 100.999 }));
    expect(await client.balanceCents()).toBe(10_099);
  });

  test('price quotes are rounded half up, with the discounted price when given', async () => {
    const { client } = makeClient();
    const scope = nock(BASE)
      .post('/api/v3/model/price', { model_id: MODEL, inputs: { duration: 5 } })
      .reply(200, envelope({ price: 2.1, discounted_price: 1.785, unit: 'USD' }));
    expect(await client.priceCents(MODEL, { duration: 5 })).toEqual({ priceCents: 210, discountedCents: 179 });
    scope.done();
  });

  test('a price that is not a number is BAD_RESPONSE', async () => {
    const { client } = makeClient();
    nock(BASE)
      .post('/api/v3/model/price')
      .reply(200, envelope({ price: 'free' }));
    expect((await rejectionOf(client.priceCents(MODEL, {}))).code).toBe('BAD_RESPONSE');
  });
});
