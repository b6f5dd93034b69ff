import nock from 'nock';
import { describe, expect, test } from 'vitest';
import { backoffDelayMs, DEFAULT_RETRY_POLICY, parseRetryAfter } from '../../src/provider/index.js';
import { BASE, envelope, makeClient, NOW, predictionData, rejectionOf, useNock } from './helpers.js';

useNock();

const RESULT_PATH = '/api/v3/predictions/pred-1/result';

describe('retries of safe calls', () => {
  test('a 503 then a 200 succeeds after one backoff wait', async () => {
    const { client, sleeps } = makeClient();
    const scope = nock(BASE)
      .get(RESULT_PATH)
      .reply(503, 'Service Unavailable')
      .get(RESULT_PATH)
      .reply(200, envelope(predictionData({ status: 'processing' })));
    const p = await client.getResult('pred-1');
    expect(p.status).toBe('processing');
    // full jitter with random() = 0.5: half of baseDelayMs (500) for the first retry
    expect(sleeps).toEqual([250]);
    scope.done();
  });

  test('the backoff grows exponentially between attempts', async () => {
    const { client, sleeps } = makeClient({ retry: { maxAttempts: 4, baseDelayMs: 1_000, maxDelayMs: 60_000, jitter: 0 } });
    nock(BASE).get(RESULT_PATH).times(3).reply(502).get(RESULT_PATH).reply(200, envelope(predictionData()));
    await client.getResult('pred-1');
    expect(sleeps).toEqual([1_000, 2_000, 4_000]);
  });

  test('Retry-After in seconds is honoured', async () => {
    const { client, sleeps } = makeClient();
    nock(BASE)
      .get('/api/v3/balance')
      .reply(429, envelope(null, 429, 'rate limited'), { 'Retry-After': '3' })
      .get('/api/v3/balance')
      .reply(200, envelope({ balance: 12.5 }));
    expect(await client.balanceCents()).toBe(1_250);
    expect(sleeps).toEqual([3_000]);
  });

  test('Retry-After as an HTTP date is honoured', async () => {
    const { client, sleeps } = makeClient();
    const at = new Date(NOW + 7_000).toUTCString();
    nock(BASE)
      .get('/api/v3/balance')
      .reply(503, 'busy', { 'Retry-After': at })
      .get('/api/v3/balance')
      .reply(200, envelope({ balance: 1 }));
    await client.balanceCents();
    expect(sleeps).toEqual([7_000]);
  });

  test('Retry-After is capped by maxDelayMs', async () => {
    const { client, sleeps } = makeClient({ retry: { maxDelayMs: 10_000 } });
    nock(BASE)
      .get('/api/v3/balance')
      .reply(429, '', { 'Retry-After': '3600' })
      .get('/api/v3/balance')
      .reply(200, envelope({ balance: 1 }));
    await client.balanceCents();
    expect(sleeps).toEqual([10_000]);
  });

  test('429 until the attempts run out is RATE_LIMITED', async () => {
    const { client, sleeps } = makeClient({ retry: { maxAttempts: 3 } });
    const scope = nock(BASE)
      .get(RESULT_PATH)
      .times(3)
      .reply(429, envelope(null, 429, 'too many requests'), { 'Retry-After': '2' });
    const err = await rejectionOf(client.getResult('pred-1'));
    expect(err.code).toBe('RATE_LIMITED');
    expect(err.status).toBe(429);
    expect(err.retryAfterMs).toBe(2_000);
    expect(sleeps).toEqual([2_000, 2_000]);
    scope.done();
  });

  test('a network error on a GET is retried', async () => {
    const { client, sleeps } = makeClient();
    nock(BASE).get(RESULT_PATH).replyWithError({ code: 'ECONNRESET', message: 'socket hang up' }).get(RESULT_PATH).reply(200, envelope(predictionData()));
    expect((await client.getResult('pred-1')).id).toBe('pred-1');
    expect(sleeps).toHaveLength(1);
  });

  test('the list (a POST, but a read) is retried on 5xx', async () => {
    const { client } = makeClient();
    nock(BASE)
      .post('/api/v3/predictions')
      .reply(500)
      .post('/api/v3/predictions')
      .reply(200, envelope({ page: 1, items: [] }));
    expect((await client.listPredictions({})).items).toEqual([]);
  });

  test('a 4xx on a GET is final: no retry', async () => {
    const { client, sleeps } = makeClient();
    const second = nock(BASE)
      .get(RESULT_PATH)
      .reply(400, envelope(null, 400, 'bad id'))
      .get(RESULT_PATH)
      .reply(200, envelope(predictionData()));
    expect((await rejectionOf(client.getResult('pred-1'))).code).toBe('INVALID_INPUT');
    expect(second.isDone()).toBe(false);
    expect(sleeps).toEqual([]);
  });

  test('an abort during the backoff wait stops the retries', async () => {
    const controller = new AbortController();
    const { client } = makeClient({
      sleep: async (_ms, signal) => {
        controller.abort();
        signal?.throwIfAborted();
      },
    });
    const second = nock(BASE).get(RESULT_PATH).reply(503).get(RESULT_PATH).reply(200, envelope(predictionData()));
    expect((await rejectionOf(client.getResult('pred-1', { signal: controller.signal }))).code).toBe('ABORTED');
    expect(second.isDone()).toBe(false);
  });
});

describe('backoff and Retry-After arithmetic', () => {
  test.each([
    [1, 0, 0],
    [1, 1, 500],
    [2, 1, 1_000],
    [3, 0.5, 1_000],
    [20, 1, 30_000],
  ])('attempt %i with random %d waits %i ms (full jitter)', (attempt, random, expected) => {
    expect(backoffDelayMs(DEFAULT_RETRY_POLICY, attempt, () => random)).toBe(expected);
  });

  test.each([
    ['5', 5_000],
    [' 0 ', 0],
    ['1.5', 1_500],
    [new Date(NOW + 90_000).toUTCString(), 90_000],
    [new Date(NOW - 90_000).toUTCString(), 0],
    ['soon', undefined],
    ['', undefined],
    [null, undefined],
  ])('Retry-After %j is %j ms', (value, expected) => {
    expect(parseRetryAfter(value, NOW)).toBe(expected);
  });
});
