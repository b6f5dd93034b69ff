import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import nock from 'nock';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { RenderError } from '../../src/errors.js';
import { BASE, CDN, KEY, makeClient, rejectionOf, useNock } from './helpers.js';

useNock();

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'render-download-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const VIDEO = Buffer.from(Array.from({ length: 256 * 1024 }, (_, i) => (i * 31) % 251));
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/**
 * A body that sends `bytes` then breaks, like a connection cut mid-download. It breaks when the reader asks for
 * more, not after a timer: a timer could fire before anyone listened, and the error would escape the test.
 */
function breakingBody(bytes: number): Readable {
  let sent = false;
  return new Readable({
    read() {
      if (sent) return this.destroy(new Error('connection reset mid-body'));
      sent = true;
      this.push(VIDEO.subarray(0, bytes));
    },
  });
}

describe('download', () => {
  test('streams to the destination with the right sha256 and size, leaving nothing else behind', async () => {
    const { client } = makeClient();
    nock(CDN).get('/out/v.mp4').query({ sig: 'abc' }).reply(200, VIDEO, { 'Content-Type': 'video/mp4' });
    const dest = join(dir, 'nested', 'shot-01.mp4');
    const result = await client.download(`${CDN}/out/v.mp4?sig=abc`, dest);
    expect(result).toEqual({ path: dest, sha256: sha256(VIDEO), bytes: VIDEO.length });
    expect(sha256(await readFile(dest))).toBe(sha256(VIDEO));
    expect(await readdir(join(dir, 'nested'))).toEqual(['shot-01.mp4']);
  });

  test('check() sees the first bytes and the size before the rename; refusing keeps the old file and leaves no temp', async () => {
    const { client } = makeClient();
    const dest = join(dir, 'shot.mp4');
    await writeFile(dest, 'the paid output from last time');
    nock(CDN).get('/v.mp4').reply(200, VIDEO);
    const seen: [string, number][] = [];
    const err = await rejectionOf(
      client.download(`${CDN}/v.mp4`, dest, {
        check: (head, bytes) => {
          seen.push([head.toString('hex'), bytes]);
          throw new RenderError('DOWNLOAD_FAILED', 'not an MP4');
        },
      }),
    );
    expect(err.code).toBe('DOWNLOAD_FAILED');
    expect(err.message).toMatch(/not an MP4/);
    expect(seen).toEqual([[VIDEO.subarray(0, 16).toString('hex'), VIDEO.length]]);
    expect(await readFile(dest, 'utf8')).toBe('the paid output from last time');
    expect(await readdir(dir)).toEqual(['shot.mp4']);
  });

  test('never sends the API key to another host', async () => {
    const { client } = makeClient();
    const scope = nock(CDN, { badheaders: ['authorization'] })
      .get('/v.mp4')
      .reply(200, VIDEO);
    await client.download(`${CDN}/v.mp4`, join(dir, 'v.mp4'));
    scope.done();
  });

  test("sends the key to the API's own origin", async () => {
    const { client } = makeClient();
    const scope = nock(BASE, { reqheaders: { authorization: `Bearer ${KEY}` } })
      .get('/files/v.mp4')
      .reply(200, VIDEO);
    await client.download(`${BASE}/files/v.mp4`, join(dir, 'v.mp4'));
    scope.done();
  });

  test('a body cut mid-way leaves no partial file and keeps an existing output', async () => {
    const { client } = makeClient({ retry: { maxAttempts: 1 } });
    const dest = join(dir, 'shot.mp4');
    await writeFile(dest, 'the paid output from last time');
    nock(CDN)
      .get('/v.mp4')
      .reply(200, () => breakingBody(64 * 1024));
    const err = await rejectionOf(client.download(`${CDN}/v.mp4`, dest));
    expect(err.code).toBe('NETWORK');
    expect(await readdir(dir)).toEqual(['shot.mp4']);
    expect(await readFile(dest, 'utf8')).toBe('the paid output from last time');
  });

  test('a body cut mid-way is retried, and the retry writes the whole file', async () => {
    const { client, sleeps } = makeClient();
    nock(CDN)
      .get('/v.mp4')
      .reply(200, () => breakingBody(1_000))
      .get('/v.mp4')
      .reply(200, VIDEO);
    const dest = join(dir, 'v.mp4');
    const result = await client.download(`${CDN}/v.mp4`, dest);
    expect(result.bytes).toBe(VIDEO.length);
    expect(sha256(await readFile(dest))).toBe(sha256(VIDEO));
    expect(sleeps).toHaveLength(1);
    expect(await readdir(dir)).toEqual(['v.mp4']);
  });

  test('a body over maxBytes is refused and leaves no file', async () => {
    const { client } = makeClient();
    nock(CDN)
      .get('/v.mp4')
      .reply(200, () => Readable.from([VIDEO.subarray(0, 1_000), VIDEO.subarray(1_000, 5_000)]));
    const err = await rejectionOf(client.download(`${CDN}/v.mp4`, join(dir, 'v.mp4'), { maxBytes: 2_000 }));
    expect(err.code).toBe('DOWNLOAD_FAILED');
    expect(await readdir(dir)).toEqual([]);
  });

  test('a declared Content-Length over maxBytes is refused before reading', async () => {
    const { client } = makeClient();
    nock(CDN)
      .get('/v.mp4')
      .reply(200, VIDEO, { 'Content-Length': String(VIDEO.length) });
    const err = await rejectionOf(client.download(`${CDN}/v.mp4`, join(dir, 'v.mp4'), { maxBytes: 100 }));
    expect(err.code).toBe('DOWNLOAD_FAILED');
    expect(err.message).toMatch(/more than the 100 allowed/);
    expect(await readdir(dir)).toEqual([]);
  });

  test('a 404 (outputs expire after 7 days) is final and leaves no file', async () => {
    const { client, sleeps } = makeClient();
    nock(CDN).get('/gone.mp4').reply(404, 'Not Found');
    const err = await rejectionOf(client.download(`${CDN}/gone.mp4`, join(dir, 'v.mp4')));
    expect(err.code).toBe('NOT_FOUND');
    expect(err.status).toBe(404);
    expect(err.hint).toMatch(/deleted 7 days/);
    expect(sleeps).toEqual([]);
    expect(await readdir(dir)).toEqual([]);
  });

  test('a 503 is retried', async () => {
    const { client } = makeClient();
    nock(CDN).get('/v.mp4').reply(503).get('/v.mp4').reply(200, VIDEO);
    expect((await client.download(`${CDN}/v.mp4`, join(dir, 'v.mp4'))).sha256).toBe(sha256(VIDEO));
  });

  test('a destination that cannot be written is DOWNLOAD_FAILED', async () => {
    const { client } = makeClient();
    await writeFile(join(dir, 'file'), 'x');
    nock(CDN).get('/v.mp4').reply(200, VIDEO);
    const err = await rejectionOf(client.download(`${CDN}/v.mp4`, join(dir, 'file', 'v.mp4')));
    expect(err.code).toBe('DOWNLOAD_FAILED');
  });

  test('the query string (signed URL tokens) stays out of error messages', async () => {
    const { client } = makeClient({ retry: { maxAttempts: 1 } });
    nock(CDN).get('/v.mp4').query(true).reply(500);
    const err = await rejectionOf(client.download(`${CDN}/v.mp4?token=secret-token`, join(dir, 'v.mp4')));
    expect(err.message).not.toContain('secret-token');
    expect(err.message).toContain(`${CDN}/v.mp4`);
  });
});

describe('download over real loopback sockets', () => {
  test('a redirect from the API origin to another origin does not carry the key', async () => {
    const { createServer } = await import('node:http');
    const seen: (string | undefined)[] = [];
    const cdn = createServer((req, res) => {
      seen.push(req.headers.authorization);
      res.end(VIDEO);
    });
    await new Promise<void>((ok) => cdn.listen(0, '127.0.0.1', ok));
    const cdnPort = (cdn.address() as { port: number }).port;
    const api = createServer((req, res) => {
      seen.push(req.headers.authorization);
      res.writeHead(302, { Location: `http://127.0.0.1:${cdnPort}/v.mp4` }).end();
    });
    await new Promise<void>((ok) => api.listen(0, '127.0.0.1', ok));
    const apiBase = `http://127.0.0.1:${(api.address() as { port: number }).port}`;
    try {
      const { client } = makeClient({ baseUrl: apiBase });
      const result = await client.download(`${apiBase}/files/v.mp4`, join(dir, 'v.mp4'));
      expect(result.sha256).toBe(sha256(VIDEO));
      expect(seen).toEqual([`Bearer ${KEY}`, undefined]);
    } finally {
      await new Promise((ok) => api.close(ok));
      await new Promise((ok) => cdn.close(ok));
    }
  });
});
