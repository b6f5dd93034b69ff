import nock from 'nock';
import { describe, expect, test } from 'vitest';
import type { ErrorCode } from '../../src/errors.js';
import { failedPredictionError, type Prediction } from '../../src/provider/index.js';
import { BASE, envelope, KEY, makeClient, predictionData, rejectionOf, useNock } from './helpers.js';

useNock();

const RESULT_PATH = '/api/v3/predictions/pred-1/result';
const noRetry = { retry: { maxAttempts: 1 } };

describe('HTTP answers map to RenderError codes, each with status, remote message and a hint', () => {
  test.each<[number, string, ErrorCode, RegExp]>([
    [400, 'duration must be 3..15', 'INVALID_INPUT', /fix the field/],
    [401, 'Unauthorized', 'AUTH', /check WAVESPEED_API_KEY/],
    [403, 'role not allowed', 'FORBIDDEN', /access/],
    [404, 'prediction not found', 'NOT_FOUND', /kept 7 days/],
    [413, 'file too large', 'INVALID_INPUT', /10 MB/],
    [429, 'rate limit exceeded', 'RATE_LIMITED', /concurrency/],
    [500, 'internal error', 'SERVER', /run again/],
    [503, 'unavailable', 'SERVER', /run again/],
    [400, 'Insufficient balance', 'INSUFFICIENT_BALANCE', /top up/],
    [402, 'Payment Required', 'INSUFFICIENT_BALANCE', /top up/],
    [403, 'not enough credits', 'INSUFFICIENT_BALANCE', /top up/],
  ])('HTTP %i "%s" is %s', async (status, message, code, hint) => {
    const { client } = makeClient(noRetry);
    nock(BASE)
      .get(RESULT_PATH)
      .reply(status, envelope(null, status, message));
    const err = await rejectionOf(client.getResult('pred-1'));
    expect(err.code).toBe(code);
    expect(err.status).toBe(status);
    expect(err.remoteMessage).toBe(message);
    expect(err.message).toContain(`HTTP ${status}: ${message}`);
    expect(err.hint).toMatch(hint);
  });

  test('a non-JSON error page still gives its status and text', async () => {
    const { client } = makeClient(noRetry);
    nock(BASE).get(RESULT_PATH).reply(502, '<html>Bad Gateway</html>');
    const err = await rejectionOf(client.getResult('pred-1'));
    expect(err.code).toBe('SERVER');
    expect(err.remoteMessage).toBe('<html>Bad Gateway</html>');
  });

  test('a failed fetch is NETWORK', async () => {
    const { client } = makeClient(noRetry);
    nock(BASE).get(RESULT_PATH).replyWithError({ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' });
    const err = await rejectionOf(client.getResult('pred-1'));
    expect(err.code).toBe('NETWORK');
    expect(err.message).toMatch(/ECONNREFUSED/);
    expect(err.hint).toMatch(/WAVESPEED_BASE_URL/);
  });

  test('a deadline is TIMEOUT', async () => {
    const { client } = makeClient({ ...noRetry, requestTimeoutMs: 50 });
    nock(BASE).get(RESULT_PATH).delay(2_000).reply(200, envelope(predictionData()));
    // The reply would be a success: TIMEOUT alone shows the deadline cut it short (no wall-time bound to flake).
    const err = await rejectionOf(client.getResult('pred-1'));
    expect(err.code).toBe('TIMEOUT');
  });

  test('a timeout on a GET is retried, and the retry can succeed', async () => {
    // A deadline the answer that comes at once always meets, even on a busy machine (50 ms did not, at load 10).
    const { client, sleeps } = makeClient({ requestTimeoutMs: 1_000 });
    nock(BASE)
      .get(RESULT_PATH)
      .delay(60_000)
      .reply(200, envelope(predictionData()))
      .get(RESULT_PATH)
      .reply(200, envelope(predictionData({ status: 'completed' })));
    expect((await client.getResult('pred-1')).status).toBe('completed');
    expect(sleeps).toHaveLength(1);
  });

  test('an envelope code other than 200 on an HTTP 200 is an error', async () => {
    const { client } = makeClient(noRetry);
    nock(BASE)
      .get(RESULT_PATH)
      .reply(200, envelope(null, 401, 'invalid token'));
    const err = await rejectionOf(client.getResult('pred-1'));
    expect(err.code).toBe('AUTH');
    expect(err.status).toBe(401);
    expect(err.message).toContain('HTTP 200 with code 401: invalid token');
  });

  test('a 200 that is not the envelope is BAD_RESPONSE', async () => {
    const { client } = makeClient(noRetry);
    nock(BASE).get(RESULT_PATH).reply(200, 'hello');
    expect((await rejectionOf(client.getResult('pred-1'))).code).toBe('BAD_RESPONSE');
    nock(BASE)
      .get(RESULT_PATH)
      .reply(200, envelope({ status: 'created' }));
    expect((await rejectionOf(client.getResult('pred-1'))).code).toBe('BAD_RESPONSE');
  });

  test('the error text is pinned', async () => {
    const { client } = makeClient(noRetry);
    nock(BASE)
      .get(RESULT_PATH)
      .reply(401, envelope(null, 401, 'Invalid API key'));
    const err = await rejectionOf(client.getResult('pred-1'));
    expect({ code: err.code, message: err.message, hint: err.hint }).toMatchInlineSnapshot(`
      {
        "code": "AUTH",
        "hint": "check WAVESPEED_API_KEY: it is missing, mistyped or revoked (keys: https://wavespeed.ai/accesskey)",
        "message": "GET prediction pred-1: HTTP 401: Invalid API key",
      }
    `);
  });
});

describe('failed predictions as errors', () => {
  const failed = (over: Partial<Prediction>): Prediction => ({ id: 'pred-9', status: 'failed', outputs: [], ...over });

  test('task code 1200 is MODERATION', () => {
    const err = failedPredictionError(failed({ taskCode: 1200, error: 'content flagged' }));
    expect(err.code).toBe('MODERATION');
    expect(err.taskCode).toBe(1200);
    expect(err.message).toBe('prediction pred-9 failed (task code 1200): content flagged');
    expect(err.hint).toMatch(/moderation/);
  });

  test.each([
    [1401, /fix it in the spec/],
    [1402, /run apply again: it uploads the image afresh/],
    [5003, /new prediction may succeed/],
    [undefined, /refunded/],
  ])('task code %s is TASK_FAILED with a matching hint', (taskCode, hint) => {
    const err = failedPredictionError(failed({ taskCode, error: 'boom' }));
    expect(err.code).toBe('TASK_FAILED');
    expect(err.hint).toMatch(hint);
  });
});

describe('the API key never leaks', () => {
  function expectNoKey(err: unknown) {
    const e = err as Error & { hint?: string; remoteMessage?: string; cause?: unknown };
    const causes: string[] = [];
    for (let c: unknown = e.cause; c instanceof Error; c = c.cause) causes.push(`${c.message} ${c.stack ?? ''}`);
    const texts = [e.message, e.hint ?? '', e.remoteMessage ?? '', String(e), e.stack ?? '', JSON.stringify(e), ...causes];
    for (const text of texts) expect(text).not.toContain(KEY);
  }

  test('a server that echoes the key in its message', async () => {
    const { client } = makeClient(noRetry);
    nock(BASE)
      .get(RESULT_PATH)
      .reply(401, envelope(null, 401, `key ${KEY} is revoked (Authorization: Bearer ${KEY})`));
    const err = await rejectionOf(client.getResult('pred-1'));
    expect(err.code).toBe('AUTH');
    expect(err.remoteMessage).toBe('key [REDACTED] is revoked (Authorization: Bearer [REDACTED])');
    expectNoKey(err);
  });

  test('a network error whose text holds the key', async () => {
    const { client } = makeClient(noRetry);
    nock(BASE).get(RESULT_PATH).replyWithError(`proxy refused Authorization: Bearer ${KEY}`);
    const err = await rejectionOf(client.getResult('pred-1'));
    expect(err.code).toBe('NETWORK');
    expectNoKey(err);
  });

  test('an unknown submit outcome whose cause holds the key', async () => {
    const { client } = makeClient();
    nock(BASE)
      .post('/api/v3/kwaivgi/kling-v3.0-4k/image-to-video')
      .reply(500, envelope(null, 500, `crash for ${KEY}`));
    const err = await rejectionOf(client.submit('kwaivgi/kling-v3.0-4k/image-to-video', { duration: 5 }));
    expect(err.code).toBe('UNKNOWN_OUTCOME');
    expectNoKey(err);
  });

  test('the client redactor for callers that log', () => {
    const { client } = makeClient();
    expect(client.redact(`x ${KEY} y ${encodeURIComponent(KEY)}`)).toBe('x [REDACTED] y [REDACTED]');
  });

  test('a base URL holding the key is refused without echoing it', () => {
    let thrown: unknown;
    try {
      makeClient({ baseUrl: `https://api.wavespeed.test/?k=${KEY}` });
    } catch (err) {
      thrown = err;
    }
    expect((thrown as { code?: string }).code).toBe('USAGE');
    expectNoKey(thrown);
  });
});
