import nock from 'nock';
import { describe, expect, test } from 'vitest';
import { BASE, envelope, KEY, makeClient, MODEL, predictionData, rejectionOf, SUBMIT_PATH, useNock } from './helpers.js';

useNock();

const BODY = { image: 'https://example.test/a.png', prompt: 'a slow dolly in', duration: 5 };

/** A second, healthy answer queued behind the first: if the client ever retried a submit, it would get it. */
function queueHealthyRetry() {
  return nock(BASE)
    .post(SUBMIT_PATH)
    .reply(200, envelope(predictionData({ id: 'pred-retried' })));
}

describe('submit', () => {
  test('POSTs the body to /api/v3/{model} with the key and client headers, and returns the prediction', async () => {
    const { client } = makeClient({ clientName: 'render-test', clientVersion: '9.9.9' });
    const scope = nock(BASE, {
      reqheaders: { authorization: `Bearer ${KEY}`, 'x-client-name': 'render-test', 'x-client-version': '9.9.9' },
    })
      .post(SUBMIT_PATH, BODY)
      .reply(200, envelope(predictionData()));
    const p = await client.submit(MODEL, BODY);
    expect(p).toMatchObject({ id: 'pred-1', status: 'created', outputs: [], model: MODEL });
    scope.done();
  });

  test('a 500 is UNKNOWN_OUTCOME after exactly one request', async () => {
    const { client, sleeps } = makeClient();
    const first = nock(BASE)
      .post(SUBMIT_PATH)
      .reply(500, envelope(null, 500, 'internal error'));
    const retry = queueHealthyRetry();
    const err = await rejectionOf(client.submit(MODEL, BODY));
    expect(err.code).toBe('UNKNOWN_OUTCOME');
    expect(err.status).toBe(500);
    expect(err.hint).toMatch(/settles it by listing/);
    first.done();
    expect(retry.isDone()).toBe(false);
    expect(sleeps).toEqual([]);
  });

  test('a dropped connection is UNKNOWN_OUTCOME after exactly one request', async () => {
    const { client } = makeClient();
    const first = nock(BASE).post(SUBMIT_PATH).replyWithError({ code: 'ECONNRESET', message: 'socket hang up' });
    const retry = queueHealthyRetry();
    const err = await rejectionOf(client.submit(MODEL, BODY));
    expect(err.code).toBe('UNKNOWN_OUTCOME');
    // The operation is named once: the cause's text is not nested with its own prefix.
    expect(err.message).toMatch(/^submit [^ ]+: outcome unknown \(network error: [^()]*socket hang up[^()]*\)$/);
    first.done();
    expect(retry.isDone()).toBe(false);
  });

  test('a timeout is UNKNOWN_OUTCOME after exactly one request', async () => {
    const { client } = makeClient({ requestTimeoutMs: 50 });
    const first = nock(BASE).post(SUBMIT_PATH).delay(2_000).reply(200, envelope(predictionData()));
    const retry = queueHealthyRetry();
    const err = await rejectionOf(client.submit(MODEL, BODY));
    expect(err.code).toBe('UNKNOWN_OUTCOME');
    expect(err.message).toMatch(/no answer within 50 ms/);
    first.done();
    expect(retry.isDone()).toBe(false);
  });

  test('a caller abort while the request is in flight is UNKNOWN_OUTCOME', async () => {
    const { client } = makeClient();
    nock(BASE).post(SUBMIT_PATH).delay(2_000).reply(200, envelope(predictionData()));
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 20);
    const err = await rejectionOf(client.submit(MODEL, BODY, { signal: controller.signal }));
    expect(err.code).toBe('UNKNOWN_OUTCOME');
  });

  test('an already aborted signal is ABORTED and sends nothing', async () => {
    const { client } = makeClient();
    const scope = nock(BASE).post(SUBMIT_PATH).reply(200, envelope(predictionData()));
    const err = await rejectionOf(client.submit(MODEL, BODY, { signal: AbortSignal.abort() }));
    expect(err.code).toBe('ABORTED');
    expect(scope.isDone()).toBe(false);
  });

  test('a 2xx without a readable prediction is UNKNOWN_OUTCOME (the task may exist)', async () => {
    const { client } = makeClient();
    nock(BASE)
      .post(SUBMIT_PATH)
      .reply(200, envelope({ status: 'created' }));
    expect((await rejectionOf(client.submit(MODEL, BODY))).code).toBe('UNKNOWN_OUTCOME');
  });

  test('an envelope code 500 on HTTP 200 is UNKNOWN_OUTCOME, not success', async () => {
    const { client } = makeClient();
    const retry = nock(BASE)
      .post(SUBMIT_PATH)
      .reply(200, envelope(predictionData(), 500, 'worker crashed'));
    const err = await rejectionOf(client.submit(MODEL, BODY));
    expect(err.code).toBe('UNKNOWN_OUTCOME');
    expect(err.remoteMessage).toBe('worker crashed');
    retry.done();
  });

  test.each([
    [429, 'too many requests', 'RATE_LIMITED'],
    [400, 'prompt is required', 'INVALID_INPUT'],
    [401, 'invalid api key', 'AUTH'],
    [403, 'model not allowed', 'FORBIDDEN'],
    [402, 'payment required', 'INSUFFICIENT_BALANCE'],
    [400, 'Insufficient balance', 'INSUFFICIENT_BALANCE'],
    [404, 'model not found', 'NOT_FOUND'],
  ])('a definite %i refusal maps to its own code, with one request', async (status, message, code) => {
    const { client } = makeClient();
    const first = nock(BASE)
      .post(SUBMIT_PATH)
      .reply(status, envelope(null, status, message), { 'Retry-After': '7' });
    const retry = queueHealthyRetry();
    const err = await rejectionOf(client.submit(MODEL, BODY));
    expect(err.code).toBe(code);
    expect(err.status).toBe(status);
    expect(err.remoteMessage).toBe(message);
    first.done();
    expect(retry.isDone()).toBe(false);
  });

  test('a 429 on submit carries the Retry-After as retryAfterMs', async () => {
    const { client } = makeClient();
    nock(BASE)
      .post(SUBMIT_PATH)
      .reply(429, envelope(null, 429, 'slow down'), { 'Retry-After': '12' });
    const err = await rejectionOf(client.submit(MODEL, BODY));
    expect(err.code).toBe('RATE_LIMITED');
    expect(err.retryAfterMs).toBe(12_000);
  });

  test('a model id that could walk the URL is refused before any request', async () => {
    const { client } = makeClient();
    const err = await rejectionOf(client.submit('../balance', BODY));
    expect(err.code).toBe('INVALID_INPUT');
  });

  test('no API key is AUTH before any request', async () => {
    const { client } = makeClient({ apiKey: '' });
    const scope = nock(BASE).post(SUBMIT_PATH).reply(200, envelope(predictionData()));
    const err = await rejectionOf(client.submit(MODEL, BODY));
    expect(err.code).toBe('AUTH');
    expect(err.hint).toMatch(/WAVESPEED_API_KEY/);
    expect(scope.isDone()).toBe(false);
  });
});
