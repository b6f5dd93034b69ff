import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { onTestFinished } from 'vitest';
import { RenderError } from '../../src/errors.js';
import type { Prediction, WaveSpeedClient } from '../../src/provider/index.js';

/** A 12-byte MP4 head: enough for apply's "is it an MP4" check. */
const MP4_BYTES = Buffer.concat([Buffer.from([0, 0, 0, 20]), Buffer.from('ftypisom'), Buffer.alloc(16, 7)]);

export interface FakeServer {
  client: WaveSpeedClient;
  predictions: Map<string, Prediction>;
  submits: { model: string; body: Record<string, unknown> }[];
  lists: number;
  uploads: number;
  /** Called with the body on each submit; may throw to simulate a refusal or a lost response. */
  onSubmit?: (body: Record<string, unknown>, n: number) => 'ok' | 'lost' | RenderError;
  /** Final status for a prediction (default completed). */
  finalStatus?: (id: string) => { status: 'completed' | 'failed'; taskCode?: number; error?: string };
  listShowsInput: boolean;
  /** Bytes every download serves (default a valid MP4 head). */
  outputBytes: Buffer;
  /** The server's clock, for created_at (default the real one). */
  now: () => number;
}

/** An in-memory WaveSpeed: predictions complete on their first poll; lost submits still create them. */
export function createFakeServer(): FakeServer {
  let n = 0;
  const fake: FakeServer = {
    predictions: new Map(),
    submits: [],
    lists: 0,
    uploads: 0,
    listShowsInput: true,
    outputBytes: MP4_BYTES,
    now: Date.now,
    client: undefined as unknown as WaveSpeedClient,
  };
  const create = (model: string, body: Record<string, unknown>): Prediction => {
    const p: Prediction = { id: `pred-${++n}`, model, status: 'created', outputs: [], input: body, createdAt: new Date(fake.now()).toISOString() };
    fake.predictions.set(p.id, p);
    return p;
  };
  fake.client = {
    baseUrl: 'http://fake.test',
    async submit(model, body) {
      const b = body as Record<string, unknown>;
      fake.submits.push({ model, body: b });
      const verdict = fake.onSubmit?.(b, fake.submits.length) ?? 'ok';
      if (verdict instanceof RenderError) throw verdict;
      const p = create(model, b);
      if (verdict === 'lost') throw new RenderError('UNKNOWN_OUTCOME', 'submit: connection dropped after sending');
      return { ...p };
    },
    async getResult(id) {
      const p = fake.predictions.get(id);
      if (!p) throw new RenderError('NOT_FOUND', `no prediction ${id}`);
      const final = fake.finalStatus?.(id) ?? { status: 'completed' };
      Object.assign(p, final, final.status === 'completed' ? { outputs: [`http://fake.test/out/${id}.mp4`] } : {});
      return { ...p };
    },
    async waitForResult(id, opts) {
      const p = await this.getResult(id);
      opts?.onPoll?.(p);
      return p;
    },
    async listPredictions() {
      fake.lists++;
      const items = [...fake.predictions.values()].reverse().map((p) => (fake.listShowsInput ? { ...p } : { ...p, input: undefined }));
      return { page: 1, total: items.length, items };
    },
    async upload(filePath) {
      fake.uploads++;
      return { url: `http://fake.test/media/${fake.uploads}/${path.basename(filePath)}`, size: 1 };
    },
    async download(_url, destPath, opts) {
      const bytes = fake.outputBytes;
      opts?.check?.(bytes.subarray(0, 16), bytes.length); // like the real client: refused before it is placed
      writeFileSync(destPath, bytes);
      return { path: destPath, sha256: 'a'.repeat(64), bytes: bytes.length };
    },
    async balanceCents() {
      return 1_000_000;
    },
    async priceCents() {
      return { priceCents: 0 };
    },
    async billings(q) {
      return { items: [], startMs: q.startMs, endMs: q.endMs ?? Date.now(), pages: 1, complete: true };
    },
    redact: (t) => t,
    serverClockOffsetMs: () => 0,
  };
  return fake;
}

/** A fresh temp folder, removed when the calling test ends. */
export function tmpDir(prefix = 'render-state-'): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
