import type { Issue } from '../errors.js';
import { issueAt } from '../spec/check.js';
import { specInvalid } from '../spec/load.js';
import { displayPath } from '../util/paths.js';
import type { ValidSpec } from './plan-spec.js';
import type { ExpandedShot } from './types.js';

/** No real image an API takes is this large; a header that claims more is a decompression bomb. */
const MAX_PIXELS = 100_000_000;

type Decode = (file: string) => Promise<void>;

/**
 * Decode every local image fully before anything is uploaded (docs/ARCHITECTURE.md "Bounded work"): a header can
 * look right (PNG, 640x360) over data that is not an image at all (no IDAT, a bogus one), and the server would
 * take the upload, then fail or bill the task. sharp (libvips) decodes, with a pixel cap. sharp is an optional
 * dependency: where it is not installed, the header checks of images.ts are all there is, and the caller is told.
 */
export async function checkImagesDecode(
  valid: ValidSpec,
  shots: readonly ExpandedShot[] = valid.shots,
  load: () => Promise<Decode | undefined> = loadDecoder,
): Promise<{ decoded: boolean }> {
  const files = new Set(shots.flatMap((s) => s.images.flatMap((i) => (i.local ? [i.local] : []))));
  // Nothing to decode (an apply that only resumes, or has nothing to do): sharp is not even loaded, ~0.3 s of CPU.
  if (files.size === 0) return { decoded: true };
  const decode = await load();
  if (!decode) return { decoded: false };
  const problems = new Map<string, string>();
  for (const file of files) {
    try {
      await decode(file);
    } catch (err) {
      problems.set(
        file,
        `cannot be decoded as an image (${err instanceof Error ? err.message : String(err)}): the server would refuse or bill it; export it again as PNG or JPEG`,
      );
    }
  }
  const issues: Issue[] = [];
  for (const shot of shots) {
    for (const img of shot.images) {
      const problem = img.local ? problems.get(img.local) : undefined;
      if (problem && img.local) issues.push(issueAt(valid.loaded, ['shots', shot.source, img.field], `${displayPath(img.local)}: ${problem}`));
    }
  }
  if (issues.length > 0) throw specInvalid(valid.loaded.shown, [...new Map(issues.map((i) => [`${i.line}:${i.col}:${i.message}`, i])).values()]);
  return { decoded: true };
}

async function loadDecoder(): Promise<Decode | undefined> {
  try {
    const sharp = (await import('sharp')).default;
    return async (file) => {
      await sharp(file, { limitInputPixels: MAX_PIXELS, failOn: 'error' }).raw().toBuffer();
    };
  } catch {
    return undefined;
  }
}
