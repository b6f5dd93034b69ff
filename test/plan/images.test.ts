import { createHash } from 'node:crypto';
import { mkdirSync, truncateSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkImagesDecode } from '../../src/plan/decode.js';
import { inspectImage } from '../../src/plan/images.js';
import { validateSpec } from '../../src/plan/plan-spec.js';
import { issueLines, render } from '../helpers/cli.js';
import { makeGif, makeJpeg, makePng, padPng } from '../helpers/images.js';
import { makeWorkspace, SPEC_HEAD } from '../helpers/workspace.js';

/**
 * docs/SPEC.md "Rules": "local images exist, are PNG or JPEG by content, ≤ 10 MB, each side ≥ 300 px, aspect ratio
 * within 1:2.5..2.5:1", checked before any network call. Images are generated here, so no binaries are committed.
 */

const MAX = 10 * 1024 * 1024;
const png = makePng(640, 360);
const jpg = makeJpeg(640, 360);

const ws = makeWorkspace();
const oneShot = (image: string) => ws.spec(`${SPEC_HEAD}shots:\n  - id: a\n    image: ${image}\n    prompt: a prompt\n`);

/** [the rule, the file's name, its bytes (undefined: no file; 'folder': a folder), the problem] */
const BAD: [rule: string, name: string, content: Buffer | 'folder' | undefined, problem: string][] = [
  ['the file exists', 'none.png', undefined, 'file not found'],
  ['a folder is not an image', 'frames.png', 'folder', 'is a folder, not an image file'],
  ['an empty file is not an image', 'empty.png', Buffer.alloc(0), 'is empty'],
  ['a GIF named .png is refused by its content', 'gif.png', makeGif(640, 360), 'is a GIF image; the API takes PNG or JPEG only'],
  [
    'text named .png is refused by its content',
    'notes.png',
    Buffer.from('not an image at all\n'),
    'is not a PNG or JPEG image (checked by content, not by name)',
  ],
  ['a truncated PNG (no IEND) is refused', 'cut.png', png.subarray(0, png.length - 12), 'is a truncated PNG (no IEND chunk)'],
  ['a truncated JPEG (no EOI) is refused', 'cut.jpg', jpg.subarray(0, jpg.length - 2), 'is a truncated JPEG (no end-of-image marker)'],
  ['each side is at least 300 px', 'small.png', makePng(299, 400), 'is 299x400 px; each side must be at least 300 px'],
  ['a JPEG too is at least 300 px a side', 'small.jpg', makeJpeg(640, 200), 'is 640x200 px; each side must be at least 300 px'],
  ['aspect ratio at most 2.5:1', 'wide.jpg', makeJpeg(1300, 500), 'is 1300x500 px (aspect 2.60:1); the aspect ratio must be within 1:2.5 and 2.5:1'],
  ['aspect ratio at least 1:2.5', 'tall.png', makePng(300, 800), 'is 300x800 px (aspect 0.38:1); the aspect ratio must be within 1:2.5 and 2.5:1'],
  ['at most 10 MB (one byte over)', 'big.png', padPng(png, MAX + 1), 'is 10.01 MB; images must be at most 10 MB'],
];

describe('a local image that the API would refuse is an error at its field, exit 2', () => {
  it.each(BAD)('%s (%s)', async (_rule, name, content, problem) => {
    if (content === 'folder') mkdirSync(ws.path(`img/${name}`), { recursive: true });
    else if (content) ws.write(`img/${name}`, content);
    const { code, stdout, stderr } = await render(['validate', oneShot(`img/${name}`)]);
    expect({ code, stdout }).toEqual({ code: 2, stdout: '' });
    expect(issueLines(ws.strip(stderr))).toEqual([`spec.yaml:6:12 shots[0].image: img/${name}: ${problem}`]);
  });

  it('a sparse 11 MB file is refused by its size alone, without being read', () => {
    // Size is checked before the bytes are read: the file below is all holes.
    const file = ws.write('img/sparse.png', '');
    truncateSync(file, 11 * 1024 * 1024);
    expect(inspectImage(file)).toBe('is 11.00 MB; images must be at most 10 MB');
  });

  it('every bad image of every shot, start and end frame, is reported in one run', async () => {
    ws.write('img/s1.png', makePng(200, 200));
    ws.write('img/g1.png', makeGif(640, 360));
    const spec = ws.spec(`${SPEC_HEAD}shots:
  - id: a
    image: img/s1.png
    end_image: img/g1.png
    prompt: x
  - id: b
    image: img/s1.png
    prompt: x
  - id: c
    image: img/missing.jpg
    prompt: x
  - id: d
    image: img/ok.png
    prompt: x
`);
    const { code, stderr } = await render(['validate', spec]);
    expect(code).toBe(2);
    expect(issueLines(ws.strip(stderr))).toEqual([
      'spec.yaml:6:12 shots[0].image: img/s1.png: is 200x200 px; each side must be at least 300 px',
      'spec.yaml:7:16 shots[0].end_image: img/g1.png: is a GIF image; the API takes PNG or JPEG only',
      'spec.yaml:10:12 shots[1].image: img/s1.png: is 200x200 px; each side must be at least 300 px',
      'spec.yaml:13:12 shots[2].image: img/missing.jpg: file not found',
    ]);
  });

  it('image problems come in the same run as template and rule errors of other shots', async () => {
    ws.write('img/tiny.png', makePng(100, 100));
    const spec = ws.spec(`${SPEC_HEAD}shots:
  - id: a
    image: img/ok.png
    prompt: "{{undefined_var}}"
  - id: b
    image: img/tiny.png
    prompt: x
`);
    const { code, stderr } = await render(['validate', spec]);
    expect(code).toBe(2);
    expect(issueLines(ws.strip(stderr))).toEqual([
      'spec.yaml:7:13 shots[0].prompt: template variable "undefined_var" is not defined (template line 1, column 3; defined: none, shot.*)',
      'spec.yaml:9:12 shots[1].image: img/tiny.png: is 100x100 px; each side must be at least 300 px',
    ]);
  });
});

/** [the rule, the file's name, its bytes] */
const GOOD: [rule: string, name: string, content: Buffer][] = [
  ['exactly 300x300 px', 'edge-300.png', makePng(300, 300)],
  ['exactly 2.5:1', 'edge-wide.png', makePng(750, 300)],
  ['exactly 1:2.5', 'edge-tall.jpg', makeJpeg(300, 750)],
  ['exactly 10 MB (10,485,760 bytes)', 'edge-10mb.png', padPng(png, MAX)],
  ['a JPEG named .png (the type comes from the content)', 'really-a-jpeg.png', makeJpeg(640, 360)],
  ['a JPEG with padding after its end-of-image marker', 'padded.jpg', Buffer.concat([jpg, Buffer.alloc(16)])],
  ['a vertical 9:16 image', 'vertical.jpg', makeJpeg(1080, 1920)],
];

describe('a local image within the limits is accepted', () => {
  it.each(GOOD)('%s (%s)', async (_rule, name, content) => {
    ws.write(`img/${name}`, content);
    const { code, stderr } = await render(['validate', oneShot(`img/${name}`)]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });

  it('is known by the sha256 of its bytes, its size in bytes and pixels, and its type by content', () => {
    const file = ws.write('img/facts.png', makeJpeg(640, 480, 7));
    const bytes = makeJpeg(640, 480, 7);
    expect(inspectImage(file)).toEqual({
      path: file,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      bytes: bytes.length,
      width: 640,
      height: 480,
      type: 'jpg',
    });
  });

  it('an https URL is not inspected (the server fetches it)', async () => {
    const { code } = await render(['validate', oneShot('https://cdn.example.com/no-such-frame.png')]);
    expect(code).toBe(0);
  });
});

describe('decoding the images a submit will upload (sharp)', () => {
  it('loads no decoder when there is nothing to decode: an apply that only resumes, or has nothing to do', async () => {
    ws.write('img/ok.png', png);
    const valid = validateSpec(oneShot('img/ok.png'));
    const loads: string[] = [];
    const load = async () => {
      loads.push('sharp');
      return async () => {};
    };
    expect(await checkImagesDecode(valid, [], load)).toEqual({ decoded: true });
    expect(loads).toEqual([]);
    expect(await checkImagesDecode(valid, valid.shots, load)).toEqual({ decoded: true });
    expect(loads).toEqual(['sharp']);
  });
});
