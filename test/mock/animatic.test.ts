import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { findFfmpeg, probeVideos } from '../../src/util/ffmpeg.js';
import { makePng } from '../helpers/images.js';
import { makeWorkspace } from '../helpers/workspace.js';
import { FIXTURE, i2vBody, startServer, submit, uploadImage as upload, waitForEnd } from './helpers.js';

type Server = Awaited<ReturnType<typeof startServer>>;

/** Submit, wait, download the output: its bytes. */
async function render(server: Server, body: Record<string, unknown>): Promise<{ bytes: Buffer }> {
  const done = await waitForEnd(server, (await submit(server, body)).id);
  return { bytes: Buffer.from(await (await fetch(done.outputs[0]!)).arrayBuffer()) };
}

const ffmpeg = findFfmpeg(process.env);

describe('the mock server without ffmpeg', () => {
  it('serves the fixed clip as every output', async () => {
    const server = await startServer();
    expect((await render(server, i2vBody({ duration: 7 }))).bytes.equals(FIXTURE)).toBe(true);
  });

  it('serves the fixed clip when the animatic cannot be made', async () => {
    const lines: string[] = [];
    const server = await startServer({ ffmpeg: '/nonexistent/ffmpeg', log: (l) => lines.push(l) });
    expect((await render(server, i2vBody())).bytes.equals(FIXTURE)).toBe(true);
    expect(lines.join('\n')).toContain('mock: animatic failed, serving the fixed clip: cannot run ffmpeg at /nonexistent/ffmpeg: not found');
  });
});

describe.runIf(ffmpeg)(`the mock server's animatic (ffmpeg from ${ffmpeg?.source ?? 'nowhere'})`, () => {
  const ws = makeWorkspace();
  /** Probe several outputs in one ffmpeg run (each run costs a start). */
  const probe = (outputs: Record<string, Buffer>) =>
    probeVideos(
      ffmpeg!.path,
      Object.entries(outputs).map(([name, bytes]) => ws.write(name, bytes)),
    );

  it("is an H.264 MP4 of the requested duration in the start image's aspect, to the end image", async () => {
    const server = await startServer({ ffmpeg: ffmpeg!.path });
    // Small images: the animatic's size comes from their aspect, not their size.
    const image = await upload(server, makePng(160, 90, [30, 90, 200]), 'start.png');
    const endImage = await upload(server, makePng(160, 90, [220, 120, 40]), 'end.png');
    const { bytes } = await render(server, i2vBody({ image, end_image: endImage, duration: 3 }));
    expect(bytes.toString('latin1', 4, 8)).toBe('ftyp');
    const portrait = await upload(server, makePng(108, 192), 'tall.png');
    const tallBytes = (await render(server, i2vBody({ image: portrait, duration: 4 }))).bytes;

    const [wide, tall] = await probe({ 'landscape.mp4': bytes, 'portrait.mp4': tallBytes });
    expect(wide).toMatchObject({ codec: 'h264', width: 320, height: 180, hasAudio: false });
    expect(wide!.duration).toBeCloseTo(3, 1);
    expect([tall!.width, tall!.height]).toEqual([180, 320]);
    expect(tall!.duration).toBeCloseTo(4, 1);
  });

  it('is made once per request content (cached), and another prompt gives another take', async () => {
    const server = await startServer({ ffmpeg: ffmpeg!.path });
    // A picture, not a flat colour: a push-in toward another point must show.
    const image = await upload(server, readFileSync(new URL('../../assets/hero.png', import.meta.url)), 'hero.png');
    const first = await render(server, i2vBody({ image, duration: 3 }));
    const again = await render(server, i2vBody({ image, duration: 3 }));
    expect(again.bytes.equals(first.bytes)).toBe(true);
    expect(server.stats().animatics).toBe(1);
    const other = await render(server, i2vBody({ image, duration: 3, prompt: 'another prompt entirely' }));
    expect(other.bytes.equals(first.bytes)).toBe(false);
    expect(server.stats().animatics).toBe(2);
  });

  it('makes a plain frame for an image it cannot fetch (an outside URL) or read', async () => {
    const server = await startServer({ ffmpeg: ffmpeg!.path });
    const outside = (await render(server, i2vBody({ duration: 3 }))).bytes;
    const broken = await upload(server, Buffer.from('not a png at all'), 'broken.png');
    const unread = (await render(server, i2vBody({ image: broken, duration: 4 }))).bytes;
    const [fromOutside, fromBroken] = await probe({ 'outside.mp4': outside, 'broken.mp4': unread });
    expect([fromOutside!.width, fromOutside!.height, fromOutside!.duration]).toEqual([320, 180, 3]);
    expect([fromBroken!.width, fromBroken!.height, fromBroken!.duration]).toEqual([320, 180, 4]);
  });
});
