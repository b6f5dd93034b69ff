import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nock from 'nock';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { BASE, envelope, KEY, makeClient, rejectionOf, useNock } from './helpers.js';

useNock();

const UPLOAD = '/api/v3/media/upload/binary';
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'render-upload-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** nock hands multipart bodies to matchers as text or hex (docs/ARCHITECTURE.md "HTTP"); read both. */
function bodyText(body: unknown): string {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return /^[0-9a-f]+$/i.test(text) && text.length % 2 === 0 ? Buffer.from(text, 'hex').toString('latin1') : text;
}

const uploaded = { type: 'image', download_url: 'https://cdn.wavespeed.test/u/frame.png', filename: 'frame.png', size: 11 };

describe('upload', () => {
  test('sends the file as multipart field `file` with its name and type, and returns the download_url', async () => {
    const file = join(dir, 'frame.png');
    await writeFile(file, 'PNG-PIXELS!');
    const { client } = makeClient();
    let seen = '';
    const scope = nock(BASE, { reqheaders: { authorization: `Bearer ${KEY}`, 'content-type': /^multipart\/form-data; boundary=/ } })
      .post(UPLOAD, (body) => {
        seen = bodyText(body);
        return true;
      })
      .reply(200, envelope(uploaded));
    expect(await client.upload(file)).toEqual({ url: uploaded.download_url, filename: 'frame.png', size: 11 });
    scope.done();
    expect(seen).toMatch(/Content-Disposition: form-data; name="file"; filename="frame.png"/);
    expect(seen).toMatch(/Content-Type: image\/png/);
    expect(seen).toContain('PNG-PIXELS!');
  });

  test('with the planned size and sha256: sends exactly those bytes, and refuses a file changed since (PLAN_STALE), sending nothing', async () => {
    const file = join(dir, 'frame.png');
    await writeFile(file, 'PNG-PIXELS!');
    const planned = { sha256: createHash('sha256').update('PNG-PIXELS!').digest('hex'), bytes: 11 };
    const { client } = makeClient();
    let seen = '';
    const scope = nock(BASE)
      .post(UPLOAD, (body) => {
        seen = bodyText(body);
        return true;
      })
      .reply(200, envelope(uploaded));
    await client.upload(file, { planned });
    scope.done();
    expect(seen).toContain('PNG-PIXELS!');

    await writeFile(file, 'OTHER-PIXEL'); // the same size: only the hash tells
    const unused = nock(BASE).post(UPLOAD).reply(200, envelope(uploaded));
    const err = await rejectionOf(client.upload(file, { planned }));
    expect(err).toMatchObject({ code: 'PLAN_STALE' });
    expect(err.message).toContain(`${file} changed after this run planned it`);
    expect(unused.isDone(), 'nothing was sent').toBe(false);
    await writeFile(file, 'A-MUCH-LARGER-FILE'); // refused by its size, before it is read
    expect(await rejectionOf(client.upload(file, { planned }))).toMatchObject({ code: 'PLAN_STALE' });
    expect(unused.isDone(), 'nothing was sent').toBe(false);
  });

  test('an explicit content type wins over the extension', async () => {
    const file = join(dir, 'frame.bin');
    await writeFile(file, 'JPEG');
    const { client } = makeClient();
    let seen = '';
    nock(BASE)
      .post(UPLOAD, (body) => {
        seen = bodyText(body);
        return true;
      })
      .reply(200, envelope(uploaded));
    await client.upload(file, { contentType: 'image/jpeg' });
    expect(seen).toMatch(/Content-Type: image\/jpeg/);
  });

  test('is retried on a 5xx, with the whole body sent again', async () => {
    const file = join(dir, 'frame.png');
    await writeFile(file, 'PNG-PIXELS!');
    const { client, sleeps } = makeClient();
    const bodies: string[] = [];
    nock(BASE)
      .post(UPLOAD, (body) => {
        bodies.push(bodyText(body));
        return true;
      })
      .reply(502)
      .post(UPLOAD, (body) => {
        bodies.push(bodyText(body));
        return true;
      })
      .reply(200, envelope(uploaded));
    expect((await client.upload(file)).url).toBe(uploaded.download_url);
    expect(sleeps).toHaveLength(1);
    expect(bodies).toHaveLength(2);
    for (const b of bodies) expect(b).toContain('PNG-PIXELS!');
  });

  test('a missing file is FILE_NOT_FOUND before any request', async () => {
    const { client } = makeClient();
    const scope = nock(BASE).post(UPLOAD).reply(200, envelope(uploaded));
    const err = await rejectionOf(client.upload(join(dir, 'nope.png')));
    expect(err.code).toBe('FILE_NOT_FOUND');
    expect(scope.isDone()).toBe(false);
  });

  test('a 413 is INVALID_INPUT with a size hint', async () => {
    const file = join(dir, 'big.png');
    await writeFile(file, 'x');
    const { client } = makeClient();
    nock(BASE)
      .post(UPLOAD)
      .reply(413, envelope(null, 413, 'Request Entity Too Large'));
    const err = await rejectionOf(client.upload(file));
    expect(err.code).toBe('INVALID_INPUT');
    expect(err.hint).toMatch(/10 MB/);
  });

  test('an answer without a download_url is BAD_RESPONSE', async () => {
    const file = join(dir, 'frame.png');
    await writeFile(file, 'x');
    const { client } = makeClient();
    nock(BASE)
      .post(UPLOAD)
      .reply(200, envelope({ type: 'image' }));
    expect((await rejectionOf(client.upload(file))).code).toBe('BAD_RESPONSE');
  });
});
