import nock from 'nock';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { createClient, type ClientOptions, type WaveSpeedClient } from '../../src/provider/index.js';

/** Made-up hosts: nock answers them, and disableNetConnect makes sure nothing else ever would. */
export const BASE = 'https://api.wavespeed.test';
export const CDN = 'https://cdn.wavespeed.test';
export const KEY = 'ws-test-key-0123456789abcdef';
export const MODEL = 'kwaivgi/kling-v3.0-4k/image-to-video';
export const SUBMIT_PATH = `/api/v3/${MODEL}`;

export function useNock(): void {
  beforeAll(() => {
    // Test files share their worker's modules (vitest.config.ts, isolate: false): nock is put back in place for
    // this file, and taken out of fetch and http again after it, so no other file's requests pass through it.
    if (!nock.isActive()) nock.activate();
    nock.disableNetConnect();
    nock.enableNetConnect('127.0.0.1');
  });
  afterEach(() => {
    nock.cleanAll();
  });
  afterAll(() => {
    nock.enableNetConnect();
    nock.restore();
  });
}

export interface TestClient {
  client: WaveSpeedClient;
  /** Every wait the client asked for, in ms, in order. */
  sleeps: number[];
}

/** A client whose waits are instant and recorded, with a fixed random (0.5) and a fixed clock. */
export function makeClient(options: ClientOptions = {}): TestClient {
  const sleeps: number[] = [];
  const client = createClient({
    baseUrl: BASE,
    apiKey: KEY,
    random: () => 0.5,
    now: () => NOW,
    sleep: async (ms, signal) => {
      sleeps.push(ms);
      signal?.throwIfAborted();
    },
    ...options,
  });
  return { client, sleeps };
}

export const NOW = Date.parse('2025-06-01T12:00:00Z');

export function envelope(data: unknown, code = 200, message = 'success') {
  return { code, message, data };
}

export function predictionData(overrides: Record<string, unknown> = {}) {
  return {
    id: 'pred-1',
    model: MODEL,
    status: 'created',
    outputs: [],
    urls: { get: `${BASE}/api/v3/predictions/pred-1/result` },
    has_nsfw_contents: [],
    created_at: '2025-06-01T12:00:00.000Z',
    error: '',
    timings: { inference: 0 },
    ...overrides,
  };
}

export { rejectionOf } from '../helpers/errors.js';
