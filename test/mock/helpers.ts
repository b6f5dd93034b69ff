import { readFileSync } from 'node:fs';
import { onTestFinished } from 'vitest';
import { DEFAULT_OUTPUT_FILE, startMockServer, type MockServer, type MockServerOptions } from '../../src/mock/index.js';

export type { MockServer };

export const I2V = 'kwaivgi/kling-v3.0-4k/image-to-video';
export const T2V = 'kwaivgi/kling-v3.0-4k/text-to-video';
export const FIXTURE = readFileSync(DEFAULT_OUTPUT_FILE);

export interface Envelope<T = Record<string, unknown>> {
  code: number;
  message: string;
  data: T;
}

export interface WirePrediction {
  id: string;
  model: string;
  status: string;
  outputs: string[];
  error: string;
  error_code?: number;
  created_at: string;
  urls: { get: string };
  input?: Record<string, unknown>;
  inputs?: Record<string, unknown>;
  timings: { inference: number };
}

export interface ListPage {
  page: number;
  total: number;
  items: WirePrediction[];
}

/** A real server on 127.0.0.1 port 0, fast by default, closed when the test ends. */
export async function startServer(options: MockServerOptions = {}): Promise<MockServer> {
  const server = await startMockServer({ processingAfterMs: 5, completeAfterMs: 20, ...options });
  onTestFinished(() => server.close());
  return server;
}

export function i2vBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { image: 'https://example.com/still.png', prompt: 'a cat on a windowsill', duration: 5, ...overrides };
}

/** A plain-fetch client for one server: authorised unless `key` is given. */
export function client(server: MockServer, key: string | null = server.apiKey) {
  const headers = (extra: Record<string, string> = {}): Record<string, string> => (key === null ? extra : { authorization: `Bearer ${key}`, ...extra });
  return {
    get: (path: string, init: RequestInit = {}) => fetch(`${server.url}${path}`, { ...init, headers: headers() }),
    post: (path: string, body: unknown, init: RequestInit = {}) =>
      fetch(`${server.url}${path}`, {
        ...init,
        method: 'POST',
        headers: headers({ 'content-type': 'application/json' }),
        body: JSON.stringify(body),
      }),
    async json<T = Record<string, unknown>>(res: Promise<Response> | Response): Promise<{ status: number; body: Envelope<T> }> {
      const r = await res;
      return { status: r.status, body: (await r.json()) as Envelope<T> };
    },
  };
}

/** Uploads `bytes` by the multipart route; its download_url. */
export async function uploadImage(server: MockServer, bytes: Buffer, name: string): Promise<string> {
  const form = new FormData();
  form.append('file', new Blob([bytes], { type: 'image/png' }), name);
  const res = await fetch(`${server.url}/api/v3/media/upload/binary`, { method: 'POST', headers: { authorization: `Bearer ${server.apiKey}` }, body: form });
  return ((await res.json()) as { data: { download_url: string } }).data.download_url;
}

export async function submit(server: MockServer, body: Record<string, unknown> = i2vBody(), model = I2V): Promise<WirePrediction> {
  const c = client(server);
  const { status, body: env } = await c.json<WirePrediction>(c.post(`/api/v3/${model}`, body));
  if (status !== 200) throw new Error(`submit failed: ${status} ${env.message}`);
  return env.data;
}

/** GET /api/v3/predictions/{id}/result → the prediction (throws on a non-200). */
export async function result(server: MockServer, id: string): Promise<WirePrediction> {
  const c = client(server);
  const { status, body } = await c.json<WirePrediction>(c.get(`/api/v3/predictions/${id}/result`));
  if (status !== 200) throw new Error(`result failed: ${status} ${body.message}`);
  return body.data;
}

/** POST /api/v3/predictions with `query` → the page (throws on a non-200). */
export async function listPage(server: MockServer, query: Record<string, unknown> = { page: 1, page_size: 100 }): Promise<ListPage> {
  const c = client(server);
  const { status, body } = await c.json<ListPage>(c.post('/api/v3/predictions', query));
  if (status !== 200) throw new Error(`list failed: ${status} ${body.message}`);
  return body.data;
}

/** Polls until the prediction is terminal (the mock's schedule is milliseconds, so a tight loop is fine). */
export async function waitForEnd(server: MockServer, id: string, timeoutMs = 5_000): Promise<WirePrediction> {
  const c = client(server);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const { body } = await c.json<WirePrediction>(c.get(`/api/v3/predictions/${id}/result`));
    if (body.data.status === 'completed' || body.data.status === 'failed') return body.data;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`prediction ${id} did not end within ${timeoutMs}ms`);
}

export async function until(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
