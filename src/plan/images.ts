import { createHash } from 'node:crypto';
import { closeSync, constants, fstatSync, lstatSync, openSync, readlinkSync, readSync } from 'node:fs';
import { imageSize } from 'image-size';
import type { Issue } from '../errors.js';
import { issueAt } from '../spec/check.js';
import { specInvalid, type LoadedSpec } from '../spec/load.js';
import { displayPath } from '../util/paths.js';
import type { ExpandedShot, ImageInfo } from './types.js';

/** The API's limits for `image` and `end_image` (docs/ARCHITECTURE.md "API facts we rely on"). */
const IMAGE_LIMITS = { maxBytes: 10 * 1024 * 1024, minSide: 300, maxAspect: 2.5, maxPixels: 100_000_000 } as const;

/**
 * Check every local image the shots name (exists, PNG or JPEG by content, size, pixels, aspect) and identify
 * it by the sha256 of its bytes. Each distinct file is read once however many shots use it; a bad file is
 * reported once per shot field that names it, all at once.
 */
export function inspectImages(loaded: LoadedSpec, shots: readonly Pick<ExpandedShot, 'source' | 'images'>[]): Map<string, ImageInfo> {
  const infos = new Map<string, ImageInfo>();
  const problems = new Map<string, string>();
  const issues: Issue[] = [];
  const reported = new Set<string>();
  for (const shot of shots) {
    for (const img of shot.images) {
      if (!img.local) continue;
      if (!infos.has(img.local) && !problems.has(img.local)) {
        const result = inspectImage(img.local);
        if (typeof result === 'string') problems.set(img.local, result);
        else infos.set(img.local, result);
      }
      const problem = problems.get(img.local);
      const key = `${shot.source}\0${img.field}\0${img.local}`;
      if (problem && !reported.has(key)) {
        reported.add(key);
        issues.push(issueAt(loaded, ['shots', shot.source, img.field], `${displayPath(img.local)}: ${problem}`));
      }
    }
  }
  if (issues.length > 0) throw specInvalid(loaded.shown, issues);
  return infos;
}

/**
 * Non-blocking, so that a named pipe given as an image is reported instead of hanging the process in open()
 * (a blocked syscall cannot be interrupted, not even by Ctrl-C). No effect on regular files.
 */
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

/** Inspect one image file: its facts, or a sentence saying what is wrong with it. */
export function inspectImage(file: string): ImageInfo | string {
  let fd: number;
  try {
    fd = openSync(file, OPEN_FLAGS);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return danglingLink(file) ?? 'file not found';
    if (code === 'EISDIR') return 'is a folder, not an image file';
    return `cannot be read (${code ?? String(err)})`;
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) return 'is a folder, not an image file';
    if (!st.isFile()) return 'is not a regular file';
    // Rounded up, so a file just over the limit never reads "10.0 MB".
    if (st.size > IMAGE_LIMITS.maxBytes) return `is ${(Math.ceil(st.size / 10485.76) / 100).toFixed(2)} MB; images must be at most 10 MB`;
    if (st.size === 0) return 'is empty';
    const bytes = Buffer.allocUnsafe(st.size);
    let read = 0;
    while (read < st.size) {
      const n = readSync(fd, bytes, read, st.size - read, read);
      if (n === 0) break;
      read += n;
    }
    return describeImage(file, bytes.subarray(0, read));
  } catch (err) {
    return `cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`;
  } finally {
    closeSync(fd);
  }
}

/** `ls` shows a dangling link as a file: say what it points to, since "file not found" would puzzle. */
function danglingLink(file: string): string | undefined {
  try {
    if (!lstatSync(file).isSymbolicLink()) return undefined;
    return `is a symbolic link to ${readlinkSync(file)}, which does not exist`;
  } catch {
    return undefined;
  }
}

function describeImage(file: string, bytes: Buffer): ImageInfo | string {
  let size: ReturnType<typeof imageSize>;
  try {
    size = imageSize(bytes);
  } catch {
    return 'is not a PNG or JPEG image (checked by content, not by name)';
  }
  const type = size.type;
  if (type !== 'png' && type !== 'jpg') return `is a ${type?.toUpperCase() ?? 'unknown'} image; the API takes PNG or JPEG only`;
  if (type === 'jpg' && !hasJpegEnd(bytes)) return 'is a truncated JPEG (no end-of-image marker)';
  if (type === 'png' && !hasPngEnd(bytes)) return 'is a truncated PNG (no IEND chunk)';
  // EXIF orientations 5-8 swap the sides as displayed; the API sees the displayed image.
  const swap = (size.orientation ?? 1) >= 5;
  const width = swap ? size.height : size.width;
  const height = swap ? size.width : size.height;
  const { minSide, maxAspect } = IMAGE_LIMITS;
  if (width * height > IMAGE_LIMITS.maxPixels)
    return `is ${width}x${height} px (${Math.round((width * height) / 1e6).toLocaleString('en-US')} megapixels); images may have at most 100 megapixels`;
  if (width < minSide || height < minSide) return `is ${width}x${height} px; each side must be at least ${minSide} px`;
  const aspect = width / height;
  if (aspect > maxAspect || aspect < 1 / maxAspect) {
    return `is ${width}x${height} px (aspect ${aspect.toFixed(2)}:1); the aspect ratio must be within 1:2.5 and 2.5:1`;
  }
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  return { path: file, sha256, bytes: bytes.length, width, height, type };
}

function hasJpegEnd(b: Buffer): boolean {
  // Trailing padding after EOI is common; look for FFD9 near the end.
  const tail = b.subarray(Math.max(0, b.length - 64));
  for (let i = tail.length - 2; i >= 0; i--) if (tail[i] === 0xff && tail[i + 1] === 0xd9) return true;
  return false;
}

function hasPngEnd(b: Buffer): boolean {
  return b.includes('IEND', Math.max(0, b.length - 64), 'latin1');
}
