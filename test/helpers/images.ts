import { deflateSync } from 'node:zlib';

/**
 * Small, valid test images made in code, so no binaries are committed. The PNGs are real (signature, IHDR,
 * zlib-compressed IDAT of one flat colour, IEND, correct CRCs); a 1000x1000 one is under 5 KB. So are the JPEGs
 * (one flat grey, see makeJpeg).
 */

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const byte of buf) c = CRC_TABLE[(c ^ byte) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

export type Rgb = readonly [number, number, number];

/** A valid RGB PNG of one colour. */
export function makePng(width: number, height: number, rgb: Rgb = [200, 120, 90]): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type: RGB
  const row = Buffer.alloc(1 + width * 3);
  for (let x = 0; x < width; x++) row.set(rgb, 1 + x * 3);
  const raw = Buffer.concat(Array.from({ length: height }, () => row));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/**
 * A PNG that only claims its size: a valid signature and IHDR (any width and height, up to 2^32 − 1 each, bigger
 * than any real image), then an IDAT that is `bogus` (bytes that are not zlib data) or `none` (no IDAT at all),
 * then IEND. Its header reads as a well-formed PNG; its pixels cannot be decoded. A few dozen bytes whatever it
 * claims: a decompression-bomb header, never a big file.
 */
export function makePngHeader(width: number, height: number, idat: 'bogus' | 'none'): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type: RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    ...(idat === 'bogus' ? [chunk('IDAT', Buffer.from('not zlib data, not pixels either'))] : []),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/**
 * A real baseline JPEG of the given size, one flat grey: every 8x8 block is "no change, end of block", which two
 * one-code Huffman tables write as two zero bits, so the scan is a run of zero bytes. Decoders read it whole (the
 * decode check before upload needs that); `seed` varies the bytes (a comment segment) without changing the image.
 */
export function makeJpeg(width: number, height: number, seed = 0): Buffer {
  const segment = (marker: number, body: Buffer) => {
    const head = Buffer.from([0xff, marker, 0, 0]);
    head.writeUInt16BE(body.length + 2, 2);
    return Buffer.concat([head, body]);
  };
  const app0 = segment(0xe0, Buffer.from([0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00]));
  const comment = segment(0xfe, Buffer.from([seed & 0xff, (seed >> 8) & 0xff, (seed >> 16) & 0xff, seed >>> 24]));
  const dqt = segment(0xdb, Buffer.concat([Buffer.from([0x00]), Buffer.alloc(64, 1)]));
  const frame = Buffer.from([8, 0, 0, 0, 0, 1, 1, 0x11, 0]);
  frame.writeUInt16BE(height, 1);
  frame.writeUInt16BE(width, 3);
  const sof0 = segment(0xc0, frame);
  // One symbol of code length 1 per table: DC category 0, and AC end-of-block.
  const table = (tableClass: number) => Buffer.concat([Buffer.from([tableClass << 4, 1]), Buffer.alloc(15), Buffer.from([0])]);
  const dht = segment(0xc4, Buffer.concat([table(0), table(1)]));
  const sos = segment(0xda, Buffer.from([1, 1, 0x00, 0, 63, 0]));
  const blocks = Math.ceil(width / 8) * Math.ceil(height / 8);
  const scan = Buffer.alloc(Math.ceil((blocks * 2) / 8));
  return Buffer.concat([Buffer.from([0xff, 0xd8]), app0, comment, dqt, sof0, dht, sos, scan, Buffer.from([0xff, 0xd9])]);
}

/** A GIF89a header (a format the API does not take). */
export function makeGif(width: number, height: number): Buffer {
  const head = Buffer.from('GIF89a\0\0\0\0\0\0\0', 'latin1');
  head.writeUInt16LE(width, 6);
  head.writeUInt16LE(height, 8);
  return Buffer.concat([head, Buffer.from([0x3b])]);
}

/** The same PNG grown to exactly `bytes` by a tEXt chunk before IEND: still valid, just bigger. */
export function padPng(png: Buffer, bytes: number): Buffer {
  const iend = png.length - 12;
  const fill = bytes - png.length - 12 - 'Comment\0'.length;
  if (fill < 0) throw new Error(`cannot pad a ${png.length}-byte PNG to ${bytes}`);
  const text = chunk('tEXt', Buffer.concat([Buffer.from('Comment\0', 'latin1'), Buffer.alloc(fill, 0x20)]));
  return Buffer.concat([png.subarray(0, iend), text, png.subarray(iend)]);
}
