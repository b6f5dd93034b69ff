import { describe, expect, it } from 'vitest';
import { boundaryOf, parseMultipart } from '../../src/mock/multipart.js';

/** What a client sends: the body and Content-Type a FormData serializes to (undici's, as `fetch` sends it). */
async function encode(form: FormData): Promise<{ body: Buffer; contentType: string }> {
  const req = new Request('http://127.0.0.1/', { method: 'POST', body: form });
  return { body: Buffer.from(await req.arrayBuffer()), contentType: req.headers.get('content-type') ?? '' };
}

/** Every byte value, CRLFs and dashes among them: a reader that decodes or trims shows here. */
const BINARY = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7919 + (i >> 8)) % 256));

describe('mock server: the multipart reader of the binary upload', () => {
  it('reads back every part a FormData sends, file bytes unchanged, with its name, file name and type', async () => {
    const form = new FormData();
    form.append('note', 'a text field');
    form.append('file', new Blob([BINARY], { type: 'image/png' }), 'still "frame".png');
    const { body, contentType } = await encode(form);
    const parts = parseMultipart(body, boundaryOf(contentType) ?? '');
    expect(parts.map((p) => [p.name, p.filename, p.type])).toEqual([
      ['note', undefined, ''],
      ['file', 'still "frame".png', 'image/png'],
    ]);
    expect(parts[0]?.bytes.toString()).toBe('a text field');
    expect(parts[1]?.bytes.equals(BINARY)).toBe(true);
  });

  it('refuses a body cut short, one without its closing delimiter, and one with another boundary', async () => {
    const form = new FormData();
    form.append('file', new Blob([BINARY]), 'a.bin');
    const { body, contentType } = await encode(form);
    const boundary = boundaryOf(contentType) ?? '';
    expect(() => parseMultipart(body.subarray(0, body.length - 100), boundary)).toThrow();
    expect(() => parseMultipart(body.subarray(0, body.lastIndexOf('--')), boundary)).toThrow();
    expect(() => parseMultipart(body, 'another-boundary')).toThrow();
  });

  it('takes the boundary from the Content-Type, quoted or not, and none from a Content-Type without one', () => {
    expect(boundaryOf('multipart/form-data; boundary=abc123')).toBe('abc123');
    expect(boundaryOf('multipart/form-data; boundary="a b:c"')).toBe('a b:c');
    expect(boundaryOf('multipart/form-data')).toBeUndefined();
  });
});
