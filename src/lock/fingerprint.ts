import { canonicalJson, sha256Hex } from '../util/canonical-json.js';

/**
 * A take's identity (docs/ARCHITECTURE.md "Money rules", rule 6): sha256 of the canonical {model, request by
 * content, take}. Equal fingerprints render the same video; file names and times play no part. The request's
 * prompts are already normalized (util/prompt-text.ts) when they get here.
 */
export function fingerprintOf(model: string, request: object, take: number): string {
  return sha256Hex(canonicalJson({ model, request, take }));
}
