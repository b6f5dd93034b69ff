import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Client } from 'wavespeed';
import { FIXTURE, I2V, startServer } from './helpers.js';

/**
 * The official SDK (wavespeed 0.3.2) against the mock: what it hard-codes is what the server must serve —
 * `POST /api/v3/media/uploads` then a PUT with exactly `upload.headers` and no bearer; `code === 200` in the
 * ticket body; `data.id` from the submit; `GET .../result` polled until `completed` or a terminal failure, whose
 * `data.error` becomes the exception text; `enable_sync_mode: true` in the body for its sync mode.
 */
const dir = mkdtempSync(join(tmpdir(), 'render-mock-sdk-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function sdkFor(server: { url: string; apiKey: string }): Client {
  return new Client(server.apiKey, { baseUrl: server.url, maxConnectionRetries: 2, retryInterval: 0.05 });
}

describe('the official wavespeed SDK against the mock server', () => {
  it('uploads a file, runs a prediction to completion, and fetches its output', async () => {
    const server = await startServer();
    const sdk = sdkFor(server);
    const still = join(dir, 'still.png');
    const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 1, 2, 255]);
    writeFileSync(still, bytes);

    const imageUrl = await sdk.upload(still);
    expect(Buffer.from(await (await fetch(imageUrl)).arrayBuffer()).equals(bytes)).toBe(true);

    const result = await sdk.run(I2V, { image: imageUrl, prompt: 'a slow zoom', duration: 3 }, { pollInterval: 0.02, timeout: 10 });
    const outputs = result.outputs as string[];
    expect(outputs).toHaveLength(1);
    const video = Buffer.from(await (await fetch(outputs[0] ?? '')).arrayBuffer());
    expect(video.equals(FIXTURE)).toBe(true);
    expect(server.stats()).toMatchObject({ uploads: 1, submissions: 1, chargesCents: 126, ignoredKeys: [] });
  });

  it('runs in sync mode (enable_sync_mode) with one request', async () => {
    const server = await startServer();
    const result = await sdkFor(server).run(I2V, { image: 'https://example.com/a.png', prompt: 'x' }, { enableSyncMode: true, timeout: 10 });
    expect(result.outputs).toEqual([expect.stringMatching(/\/files\/outputs\/[0-9a-f]+\.mp4$/)]);
    expect(server.stats().polls).toBe(0);
  });

  it('surfaces a failed task with its code-prefixed error', async () => {
    const server = await startServer({ faults: { taskFailRate: 1, taskFailCodes: [1200] } });
    const run = sdkFor(server).run(I2V, { image: 'https://example.com/a.png', prompt: 'x' }, { pollInterval: 0.02, timeout: 10 });
    await expect(run).rejects.toThrow(/Prediction failed \(task_id: [0-9a-f]+\): 1200: content moderation/);
  });

  it('retries polls through injected 503s, as the SDK retries GETs', async () => {
    // Seed 34 opens the result route's fault sequence with three errors then eight clean answers: the first poll
    // needs all three retries, whatever the timing.
    const server = await startServer({ seed: 34, faults: { errorRate: 0.3, errorStatuses: [503], routes: ['result'] } });
    const sdk = new Client(server.apiKey, { baseUrl: server.url, maxConnectionRetries: 3, retryInterval: 0.01 });
    const result = await sdk.run(I2V, { image: 'https://example.com/a.png', prompt: 'x' }, { pollInterval: 0.02, timeout: 10 });
    expect(result.outputs).toHaveLength(1);
    expect(server.stats().faults.error).toBe(3);
  });
});
