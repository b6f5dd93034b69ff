import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { DEFAULT_OUTPUT_FILE, startMockServer, type MockServer } from '../../src/mock/index.js';
import { createClient, type WaveSpeedClient } from '../../src/provider/index.js';
import { rejectionOf } from './helpers.js';

/** The client against the project's own WaveSpeed-compatible server: real sockets on 127.0.0.1, port 0. */

const MODEL = 'kwaivgi/kling-v3.0-4k/image-to-video';
/** A valid 1x1 PNG. */
const PNG_1X1 = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
const FAST_POLL = { initialMs: 20, factor: 1.5, maxMs: 100, jitter: 0 };
let mock: MockServer;
let dir: string;
let client: WaveSpeedClient;

beforeAll(async () => {
  mock = await startMockServer({ processingAfterMs: 10, completeAfterMs: 60 });
  dir = await mkdtemp(join(tmpdir(), 'render-provider-mock-'));
  client = createClient({ baseUrl: mock.url, apiKey: mock.apiKey, retry: { baseDelayMs: 10, maxDelayMs: 50 } });
});
afterEach(() => mock.setFaults({}));
afterAll(async () => {
  await mock.close();
  await rm(dir, { recursive: true, force: true });
});

describe('against the local mock server', () => {
  test('upload, submit, wait, download: one charge, the output saved and hashed', async () => {
    const frame = join(dir, 'frame.png');
    await writeFile(frame, PNG_1X1);
    const image = await client.upload(frame);
    expect(image.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);
    await rm(frame);
    const body = { image: image.url, prompt: 'a slow dolly in', duration: 5, shot_type: 'customize' };
    const before = await client.balanceCents();
    const created = await client.submit(MODEL, body);
    const done = await client.waitForResult(created.id, { policy: FAST_POLL });
    if (done.status !== 'completed') return expect.fail(`prediction ${done.status}: ${done.error ?? ''}`);
    const url = done.outputs[0];
    if (!url) return expect.fail('no output URL');
    const saved = await client.download(url, join(dir, 'shot.mp4'));
    const expected = await readFile(DEFAULT_OUTPUT_FILE);
    expect(saved.bytes).toBe(expected.length);
    expect(saved.sha256).toBe(createHash('sha256').update(expected).digest('hex'));
    expect(await readdir(dir)).toEqual(['shot.mp4']);
    expect(before - (await client.balanceCents())).toBe(210);
    expect(mock.stats().submissions).toBe(1);
  });

  test('the listed history holds the prediction', async () => {
    const created = await client.submit(MODEL, { prompt: 'listed', duration: 3, image: 'https://example.test/x.png' });
    const page = await client.listPredictions({ page: 1, page_size: 100, model: MODEL });
    expect(page.items.map((p) => p.id)).toContain(created.id);
  });

  test('a submit whose connection is dropped after the charge is UNKNOWN_OUTCOME, sent once', async () => {
    mock.setFaults({ lostSubmitRate: 1, routes: ['submit'] });
    const before = mock.stats().submissions;
    const err = await rejectionOf(client.submit(MODEL, { prompt: 'lost', duration: 3, image: `${mock.url}/x.png` }));
    expect(err.code).toBe('UNKNOWN_OUTCOME');
    expect(mock.stats().submissions).toBe(before + 1);
  });

  test('a wrong key is AUTH, and the key is not in the error', async () => {
    const wrong = createClient({ baseUrl: mock.url, apiKey: 'wrong-key-123456' });
    const err = await rejectionOf(wrong.balanceCents());
    expect(err.code).toBe('AUTH');
    expect(JSON.stringify({ ...err, message: err.message, hint: err.hint })).not.toContain('wrong-key-123456');
  });

  test('injected 429s and 5xx on reads are ridden out by retries', async () => {
    mock.setFaults({ errorRate: 0.5, rateLimitRate: 0.2, retryAfterSeconds: 0, routes: ['balance'] });
    const retrying = createClient({ baseUrl: mock.url, apiKey: mock.apiKey, retry: { maxAttempts: 30, baseDelayMs: 1, maxDelayMs: 5 } });
    for (let i = 0; i < 5; i++) expect(await retrying.balanceCents()).toBeGreaterThan(0);
  });
});
