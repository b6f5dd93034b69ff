import { canonicalJson, sha256Hex } from '../util/canonical-json.js';
import { requestKey } from '../util/prompt-text.js';

/**
 * A take's identity (docs/ARCHITECTURE.md "Money rules", rule 6): sha256 of the canonical {model, request by
 * content, take}, its prompts by their words and punctuation only (util/prompt-text.ts `promptKey`). Equal
 * fingerprints render the same video; file names, times and spacing play no part.
 */
export function fingerprintOf(model: string, request: object, take: number): string {
  return sha256Hex(canonicalJson({ model, request: requestKey(request as Record<string, unknown>), take }));
}
