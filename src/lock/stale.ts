import { existsSync, readFileSync } from 'node:fs';
import { RenderError } from '../errors.js';
import { displayPath } from '../util/paths.js';
import { lockfilePath, readLockfileOnDisk, type LockfileOnDisk } from './file.js';
import { journalPath, lastLockPath, stateDir } from './paths.js';
import type { Lockfile } from './schema.js';

interface DroppedTake {
  endpoint: string;
  shot: string;
  n: number;
  predictionId: string;
}

/**
 * The paid takes `earlier` recorded that `current` does not know (by prediction id, per endpoint): what a merge
 * resolved with one side's lockfile, or a checkout of a teammate's, drops. A lockfile may move on (a higher serial,
 * more takes) but never forgets a prediction: planning from it would pay for that shot again (docs/ARCHITECTURE.md
 * "State").
 */
function droppedTakes(current: Lockfile, earlier: Lockfile): DroppedTake[] {
  const dropped: DroppedTake[] = [];
  for (const [endpoint, state] of Object.entries(earlier.endpoints)) {
    const known = new Set<string>();
    for (const shot of Object.values(current.endpoints[endpoint]?.shots ?? {})) for (const t of shot.takes) if (t.prediction_id) known.add(t.prediction_id);
    for (const [shot, entry] of Object.entries(state.shots)) {
      for (const t of entry.takes) if (t.prediction_id && !known.has(t.prediction_id)) dropped.push({ endpoint, shot, n: t.n, predictionId: t.prediction_id });
    }
  }
  return dropped;
}

/**
 * A newer lockfile (pulled, merged) must still know every prediction the last apply here left in `.render/`:
 * serials only order one line of history, and two clones that both applied each have one. Parsed only when the
 * texts differ, which after an apply here they do not.
 */
export function checkNothingDropped(specFile: string, name: string, lock: Lockfile, text: string): void {
  const lastFile = lastLockPath(specFile, name);
  if (!existsSync(lastFile) || readFileSync(lastFile, 'utf8') === text) return;
  let last: LockfileOnDisk | undefined;
  try {
    last = readLockfileOnDisk(lastFile, name);
  } catch {
    return; // a damaged copy is no evidence either way; the journal's check still holds
  }
  if (last?.version !== 2 || last.lock.lineage !== lock.lineage) return;
  const dropped = droppedTakes(lock, last.lock);
  if (dropped.length === 0) return;
  const shown = displayPath(lockfilePath(specFile, name));
  const named = dropped
    .slice(0, 3)
    .map((d) => `${d.shot} take #${d.n} (${d.predictionId})`)
    .join(', ');
  const more = dropped.length > 3 ? ` and ${dropped.length - 3} more` : '';
  throw new RenderError(
    'LOCKFILE_INVALID',
    `${shown} does not know ${dropped.length} paid prediction${dropped.length === 1 ? '' : 's'} the last apply here recorded: ${named}${more}; planning from it would pay for ${dropped.length === 1 ? 'that shot' : 'those shots'} again`,
    {
      hint: `a merge or checkout kept one side's lockfile: merge both sides' takes (the copy the last apply here left is ${displayPath(lastFile)}), or, if dropping them is what you mean, move ${displayPath(stateDir(specFile))} aside and run again`,
    },
  );
}

export function staleLockfile(specFile: string, name: string, onDisk: LockfileOnDisk | undefined, base: { lineage: string; serial: number }): RenderError {
  const shown = displayPath(lockfilePath(specFile, name));
  const journal = displayPath(journalPath(specFile, name));
  const last = lastLockPath(specFile, name);
  const restore = existsSync(last) ? ` or from the copy the last apply left: \`cp ${displayPath(last)} ${shown}\`` : '';
  const what = !onDisk
    ? `${shown} is missing, but ${journal} records this campaign's state up to lockfile serial ${base.serial}`
    : onDisk.version === 1 || onDisk.lock.lineage !== base.lineage
      ? `${shown} is not the lockfile ${journal} was written against (another lineage: restored from an older commit, copied from another campaign, or made anew)`
      : `${shown} is older (serial ${onDisk.lock.serial}) than the state this machine last wrote (serial ${base.serial}): it was restored from an older commit or copied over`;
  return new RenderError('LOCKFILE_INVALID', `${what}; planning from it could pay again for shots it does not know`, {
    hint: `restore the newer lockfile from git${restore}; if this lockfile is the one you mean to keep (a merge you checked), move ${journal} aside and run again`,
  });
}
