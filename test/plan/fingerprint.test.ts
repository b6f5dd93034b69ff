import { utimesSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { VideoRequest } from '../../src/models.js';
import { fingerprintOf } from '../../src/lock/fingerprint.js';
import { planSpec } from '../../src/plan/plan-spec.js';
import { makePng } from '../helpers/images.js';
import { makeWorkspace, SPEC_HEAD } from '../helpers/workspace.js';

/**
 * docs/ARCHITECTURE.md "Money rules", rule 6: a shot is fingerprinted by content, the exact request with each local
 * file replaced by its sha256, plus model and take. Never file names or times. Equal fingerprints render the same
 * video.
 */

const ws = makeWorkspace();
const FRAME = makePng(640, 360, [10, 20, 30]);
ws.write('a/frame.png', FRAME);

let n = 0;
/** Plan a one-shot spec (`image` and the shot's other lines) and return that shot. */
function planned(image: string, lines = '    prompt: a fox on a rooftop\n', head = SPEC_HEAD) {
  const spec = ws.spec(`${head}shots:\n  - id: s\n    image: ${image}\n${lines}`, `spec-${++n}.yaml`);
  return planSpec(spec, { endpoint: 'https://api.wavespeed.ai' }).plan.shots[0]!;
}

describe('the fingerprint of a shot', () => {
  const base = planned('a/frame.png');

  it('is a sha256 in hex, over the request with the image by content', () => {
    expect(base.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(base.contentRequest.image).toBe(`sha256:${base.images[0]!.sha256}`);
  });

  it('is the same for the same bytes at another path (a renamed or moved file)', () => {
    ws.write('elsewhere/renamed.png', FRAME);
    const moved = planned('elsewhere/renamed.png');
    expect(moved.request.image).not.toBe(base.request.image);
    expect(moved.fingerprint).toBe(base.fingerprint);
  });

  it('ignores file times: touching the image changes nothing', () => {
    utimesSync(ws.path('a/frame.png'), new Date('2001-01-01'), new Date('2001-01-01'));
    expect(planned('a/frame.png').fingerprint).toBe(base.fingerprint);
  });

  it('changes when the pixels change, even at the same size', () => {
    ws.write('b/frame.png', makePng(640, 360, [10, 20, 31]));
    expect(planned('b/frame.png').fingerprint).not.toBe(base.fingerprint);
  });

  it('does not change when a default is written out (duration: 5)', () => {
    expect(planned('a/frame.png', '    prompt: a fox on a rooftop\n    duration: 5\n').fingerprint).toBe(base.fingerprint);
  });

  it.each([
    ['the prompt', '    prompt: a fox on a roof\n', SPEC_HEAD],
    ['the duration', '    prompt: a fox on a rooftop\n    duration: 6\n', SPEC_HEAD],
    ['sound', '    prompt: a fox on a rooftop\n    sound: true\n', SPEC_HEAD],
    ['the take (same inputs, rendered again)', '    prompt: a fox on a rooftop\n    take: 2\n', SPEC_HEAD],
    ['the model', '    prompt: a fox on a rooftop\n', `${SPEC_HEAD}model: kwaivgi/kling-video-o3-4k/image-to-video\n`],
  ])('changes with %s', (_what, lines, head) => {
    expect(planned('a/frame.png', lines, head).fingerprint).not.toBe(base.fingerprint);
  });

  it('does not depend on the order keys were written in', () => {
    const a: VideoRequest = { duration: 5, prompt: 'p', cfg_scale: 0.5 };
    const b: VideoRequest = { cfg_scale: 0.5, prompt: 'p', duration: 5 };
    expect(fingerprintOf('m', a, 1)).toBe(fingerprintOf('m', b, 1));
  });
});
