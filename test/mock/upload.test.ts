import { describe, expect, it } from 'vitest';
import { client, i2vBody, startServer, submit, waitForEnd } from './helpers.js';

/** Every byte value, several times over: a multipart parser that mangles binary (CRLF, 0x00, UTF-8) shows here. */
const BINARY = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 7919 + (i >> 8)) % 256));

interface UploadData {
  type: string;
  download_url: string;
  filename: string;
  size: number;
}

interface Ticket {
  upload: { method: string; url: string; headers: Record<string, string> };
  download_url: string;
}

async function uploadBinary(server: Awaited<ReturnType<typeof startServer>>, bytes: Buffer, name: string, type: string) {
  const form = new FormData();
  form.append('file', new Blob([bytes], { type }), name);
  const res = await fetch(`${server.url}/api/v3/media/upload/binary`, {
    method: 'POST',
    headers: { authorization: `Bearer ${server.apiKey}` },
    body: form,
  });
  return { status: res.status, body: (await res.json()) as { code: number; message: string; data: UploadData } };
}

describe('mock server: uploads', () => {
  it('round-trips binary bytes through the multipart upload and download_url', async () => {
    const server = await startServer();
    const { status, body } = await uploadBinary(server, BINARY, 'still frame.png', 'image/png');
    expect(status).toBe(200);
    expect(body.data).toMatchObject({ type: 'image', filename: 'still frame.png', size: BINARY.length });
    expect(body.data.download_url.startsWith(`${server.url}/files/media/`)).toBe(true);
    const file = await fetch(body.data.download_url); // no key: a CDN URL
    expect(file.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await file.arrayBuffer()).equals(BINARY)).toBe(true);
    expect(server.stats()).toMatchObject({ uploads: 1, downloads: 1 });
  });

  it('answers 400 when the multipart field "file" is missing, and 413 above maxUploadBytes', async () => {
    const server = await startServer({ maxUploadBytes: 1000 });
    const form = new FormData();
    form.append('image', new Blob([Buffer.from('x')]), 'a.png');
    const res = await fetch(`${server.url}/api/v3/media/upload/binary`, { method: 'POST', headers: { authorization: `Bearer ${server.apiKey}` }, body: form });
    expect(await res.json()).toMatchObject({ code: 400, message: 'The multipart field "file" (a file) is required' });
    expect((await uploadBinary(server, BINARY, 'big.png', 'image/png')).status).toBe(413);
    expect(server.stats().uploads).toBe(0);
  });

  it('serves the two-step flow: ticket, PUT with exactly the given headers, then download_url', async () => {
    const server = await startServer();
    const c = client(server);
    const { body } = await c.json<Ticket>(c.post('/api/v3/media/uploads', { filename: 'a.png', size: BINARY.length, content_type: 'image/png' }));
    expect(body.data.upload).toMatchObject({ method: 'PUT', headers: { 'Content-Type': 'image/png' } });
    expect((await fetch(body.data.download_url)).status).toBe(404); // nothing there before the PUT
    const put = await fetch(body.data.upload.url, { method: 'PUT', headers: body.data.upload.headers, body: BINARY });
    expect(put.status).toBe(200);
    const file = await fetch(body.data.download_url);
    expect(Buffer.from(await file.arrayBuffer()).equals(BINARY)).toBe(true);
    expect(server.stats().uploads).toBe(1);
  });

  it.each([
    ['another Content-Type', { 'Content-Type': 'image/jpeg' }, BINARY, 403],
    ['a different size', { 'Content-Type': 'image/png' }, BINARY.subarray(1), 400],
  ])('refuses a PUT with %s', async (_label, headers, bytes, status) => {
    const server = await startServer();
    const c = client(server);
    const { body } = await c.json<Ticket>(c.post('/api/v3/media/uploads', { filename: 'a.png', size: BINARY.length, content_type: 'image/png' }));
    expect((await fetch(body.data.upload.url, { method: 'PUT', headers, body: bytes })).status).toBe(status);
    expect(server.stats().uploads).toBe(0);
  });

  it('lets a prediction use an uploaded image, and fails it with 1402 when the upload never landed', async () => {
    const server = await startServer();
    const c = client(server);
    const uploaded = (await uploadBinary(server, BINARY, 'a.png', 'image/png')).body.data.download_url;
    const ticket = (await c.json<Ticket>(c.post('/api/v3/media/uploads', { filename: 'b.png', size: 3 }))).body.data;
    const ok = await submit(server, i2vBody({ image: uploaded }));
    const never = await submit(server, i2vBody({ image: ticket.download_url }));
    expect((await waitForEnd(server, ok.id)).status).toBe('completed');
    expect(await waitForEnd(server, never.id)).toMatchObject({ status: 'failed', error_code: 1402 });
  });
});
