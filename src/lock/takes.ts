import type { Lockfile, LockShot, LockTake } from './schema.js';

/**
 * Takes, in one place: every prediction of a shot is a take, the current one or an earlier one kept in
 * `history`. What was spent is the sum over takes (docs/ARCHITECTURE.md "Money rules").
 */

/** Every take of a shot, the current one first. */
function takesOf(shot: LockShot | undefined): LockTake[] {
  return shot ? [shot, ...shot.history] : [];
}

/** The take of a shot that has this prediction id, current or earlier. */
export function takeById(shot: LockShot | undefined, predictionId: string): LockTake | undefined {
  if (!shot) return undefined;
  if (shot.prediction_id === predictionId) return shot;
  return shot.history.find((t) => t.prediction_id === predictionId);
}

/** Cents spent per endpoint, over every take of every shot. */
export function spentByEndpoint(lock: Lockfile): Record<string, number> {
  const spent: Record<string, number> = {};
  for (const shot of Object.values(lock.shots)) {
    for (const take of takesOf(shot)) {
      if (take.status !== 'failed') spent[take.endpoint] = (spent[take.endpoint] ?? 0) + take.cost_cents;
    }
  }
  return spent;
}

/** Everything this spec has paid on an endpoint. */
export function spentCents(lock: Lockfile, endpoint: string): number {
  return spentByEndpoint(lock)[endpoint] ?? 0;
}

/** Every prediction id the lockfile knows: a prediction is never claimed by two takes. */
export function claimedPredictionIds(lock: Lockfile): Set<string> {
  const ids = new Set<string>();
  for (const shot of Object.values(lock.shots)) for (const take of takesOf(shot)) if (take.prediction_id) ids.add(take.prediction_id);
  return ids;
}
