import nock from 'nock';
import { describe, expect, test } from 'vitest';
import { DEFAULT_POLL_POLICY, pollDelayMs } from '../../src/provider/index.js';
import { waitForPrediction } from '../../src/provider/poll.js';
import { BASE, envelope, makeClient, predictionData, rejectionOf, useNock } from './helpers.js';

useNock();

const RESULT_PATH = '/api/v3/predictions/pred-1/result';

/** Queue one answer per status, in order. */
function answerStatuses(statuses: string[]) {
  let scope = nock(BASE);
  for (const status of statuses) {
    const outputs = status === 'completed' ? ['https://cdn.wavespeed.test/pred-1.mp4'] : [];
    scope = scope.get(RESULT_PATH).reply(200, envelope(predictionData({ status, outputs })));
  }
  return scope;
}

describe('waitForResult', () => {
  test('polls with growing, capped intervals until a terminal status, and reports every poll', async () => {
    const { client, sleeps } = makeClient();
    const scope = answerStatuses(['created', 'processing', 'processing', 'processing', 'processing', 'processing', 'completed']);
    const seen: string[] = [];
    const p = await client.waitForResult('pred-1', { onPoll: (x) => seen.push(x.status) });
    expect(p.status).toBe('completed');
    expect(p.outputs).toEqual(['https://cdn.wavespeed.test/pred-1.mp4']);
    // 5 s first (docs/ARCHITECTURE.md "API facts we rely on": no more often than every 5 s), times 1.5 each poll,
    // capped at 30 s
    expect(sleeps).toEqual([5_000, 7_500, 11_250, 16_875, 25_313, 30_000, 30_000]);
    expect(seen).toEqual(['created', 'processing', 'processing', 'processing', 'processing', 'processing', 'completed']);
    scope.done();
  });

  test('a failed prediction is returned, not thrown: the caller decides', async () => {
    const { client } = makeClient();
    nock(BASE)
      .get(RESULT_PATH)
      .reply(200, envelope(predictionData({ status: 'failed', error: 'content flagged', error_code: 1200 })));
    const p = await client.waitForResult('pred-1', { policy: { initialMs: 1 } });
    expect(p).toMatchObject({ status: 'failed', taskCode: 1200, error: 'content flagged' });
  });

  test('immediate polls once before the first wait', async () => {
    const { client, sleeps } = makeClient();
    answerStatuses(['completed']);
    expect((await client.waitForResult('pred-1', { immediate: true })).status).toBe('completed');
    expect(sleeps).toEqual([]);
  });

  test('an overall timeout is TIMEOUT, saying the task is still running', async () => {
    let clock = 0;
    const sleeps: number[] = [];
    const { client } = makeClient({
      now: () => clock,
      sleep: async (ms) => {
        sleeps.push(ms);
        clock += ms;
      },
    });
    nock(BASE)
      .get(RESULT_PATH)
      .times(10)
      .reply(200, envelope(predictionData({ status: 'processing' })));
    const err = await rejectionOf(client.waitForResult('pred-1', { policy: { timeoutMs: 20_000, jitter: 0 } }));
    expect(err.code).toBe('TIMEOUT');
    expect(err.message).toMatch(/pred-1 not finished after 20 s \(last status: processing\)/);
    expect(err.hint).toMatch(/do not submit it again/);
    // the last wait is cut to the deadline
    expect(sleeps).toEqual([5_000, 7_500, 7_500]);
  });

  test('an abort during a wait is ABORTED', async () => {
    const controller = new AbortController();
    const { client } = makeClient({
      sleep: async (_ms, signal) => {
        controller.abort();
        signal?.throwIfAborted();
      },
    });
    const scope = answerStatuses(['completed']);
    const err = await rejectionOf(client.waitForResult('pred-1', { signal: controller.signal }));
    expect(err.code).toBe('ABORTED');
    expect(scope.isDone()).toBe(false);
  });

  test('rides out a poll that fails after its own retries, then carries on', async () => {
    const { client } = makeClient({ retry: { maxAttempts: 2 } });
    nock(BASE).get(RESULT_PATH).times(2).reply(503);
    answerStatuses(['completed']);
    expect((await client.waitForResult('pred-1')).status).toBe('completed');
  });

  test('gives up after maxPollErrors failed polls in a row', async () => {
    const { client } = makeClient({ retry: { maxAttempts: 1 } });
    const scope = nock(BASE).get(RESULT_PATH).times(2).reply(503);
    const err = await rejectionOf(client.waitForResult('pred-1', { policy: { maxPollErrors: 2 } }));
    expect(err.code).toBe('SERVER');
    scope.done();
  });

  test('a 404 is not taken at its word at once: one that passes is ridden out (the prediction exists after all)', async () => {
    const { client, sleeps } = makeClient();
    nock(BASE)
      .get(RESULT_PATH)
      .reply(404, envelope(null, 404, 'not found'));
    answerStatuses(['completed']);
    expect((await client.waitForResult('pred-1')).status).toBe('completed');
    expect(sleeps).toHaveLength(2); // asked again after the schedule's wait, not at once
  });

  test("with a schedule too, a 404 is asked again after the schedule's wait, not at once", async () => {
    let clock = 0;
    const sleeps: number[] = [];
    const { client } = makeClient({
      now: () => clock,
      sleep: async (ms) => {
        sleeps.push(ms);
        clock += ms;
      },
    });
    // Every poll a second after the one before: one that got no answer (the 404) counts too.
    let last = 0;
    const schedule = {
      nextPollAt: () => last + 1000,
      observe: (_p: unknown, at: number) => {
        last = at;
      },
      missed: (at: number) => {
        last = at;
      },
      changed: () => undefined,
    };
    nock(BASE)
      .get(RESULT_PATH)
      .reply(404, envelope(null, 404, 'not found'));
    answerStatuses(['completed']);
    expect((await client.waitForResult('pred-1', { schedule })).status).toBe('completed');
    expect(sleeps).toEqual([1000, 1000]);
  });

  test('a schedule is told when each poll was sent as well as when its answer came (the floor runs from the send)', async () => {
    let clock = 0;
    const told: [number, number][] = [];
    const statuses = ['processing', 'completed'];
    const prediction = await waitForPrediction(
      'pred-1',
      {
        schedule: {
          nextPollAt: () => clock + 1000,
          observe: (_p, at, sentAt) => told.push([sentAt, at]),
          missed: () => {},
          changed: () => undefined,
        },
      },
      {
        // Each answer takes 300 ms to come.
        getResult: async () => {
          clock += 300;
          return { id: 'pred-1', status: statuses.shift() ?? 'completed', outputs: [] };
        },
        sleep: async (ms) => {
          clock += ms;
        },
        random: () => 0.5,
        now: () => clock,
        ctx: { op: 'wait', redact: (t) => t },
      },
    );
    expect(prediction.status).toBe('completed');
    expect(told).toEqual([
      [1000, 1300],
      [2300, 2600],
    ]);
  });

  test('a 404 that lasts over maxPollErrors polls is final: NOT_FOUND, with the 7 days in its hint', async () => {
    const { client } = makeClient();
    const scope = nock(BASE)
      .get(RESULT_PATH)
      .times(3)
      .reply(404, envelope(null, 404, 'not found'));
    const err = await rejectionOf(client.waitForResult('pred-1'));
    expect(err.code).toBe('NOT_FOUND');
    expect(err.hint).toMatch(/kept 7 days/);
    scope.done();
  });

  test('a final error (a refused key) is thrown at once', async () => {
    const { client } = makeClient();
    const scope = nock(BASE)
      .get(RESULT_PATH)
      .reply(401, envelope(null, 401, 'unauthorized'));
    const err = await rejectionOf(client.waitForResult('pred-1'));
    expect(err.code).toBe('AUTH');
    scope.done();
  });
});

describe('pollDelayMs', () => {
  test('jitter spreads around the interval but never below the floor or above the cap; the first wait is exact', () => {
    const policy = { ...DEFAULT_POLL_POLICY, jitter: 0.2 };
    expect(pollDelayMs(policy, 0, () => 0)).toBe(5_000);
    expect(pollDelayMs(policy, 0, () => 1)).toBe(5_000);
    expect(pollDelayMs(policy, 1, () => 1)).toBe(9_000);
    expect(pollDelayMs(policy, 2, () => 0)).toBe(9_000);
    expect(pollDelayMs(policy, 2, () => 1)).toBe(13_500);
    expect(pollDelayMs(policy, 50, () => 1)).toBe(30_000);
    expect(pollDelayMs(policy, 50, () => 0)).toBe(24_000);
  });

  test('the default policy respects the API: first poll at 5 s or later, cap about 30 s', () => {
    const delays = Array.from({ length: 20 }, (_, i) => pollDelayMs(DEFAULT_POLL_POLICY, i, Math.random));
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(5_000);
    expect(Math.max(...delays)).toBeLessThanOrEqual(30_000);
  });
});
