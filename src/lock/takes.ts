import { MOCK_ENDPOINT } from '../endpoint.js';
import type { Lockfile, LockShot, LockTake } from './schema.js';

/**
 * Takes, in one place (docs/ARCHITECTURE.md "State"): every prediction of a shot is a take, kept forever in
 * the shot's `takes` on its endpoint; `current` names the one the shot is on now. What was spent is the sum over
 * takes, and only over takes: an intent whose outcome is unknown counts as spent until it is settled.
 */

export function shotState(lock: Lockfile, endpoint: string, id: string): LockShot | undefined {
  return lock.endpoints[endpoint]?.shots[id];
}

export function takeByN(shot: LockShot | undefined, n: number | undefined): LockTake | undefined {
  return n === undefined ? undefined : shot?.takes.find((t) => t.n === n);
}

/** The take the shot is on now on its endpoint. */
export function currentTake(shot: LockShot | undefined): LockTake | undefined {
  return takeByN(shot, shot?.current);
}

/** The number the next take of this shot gets. */
export function nextTakeNumber(shot: LockShot | undefined): number {
  return (shot?.takes.reduce((n, t) => Math.max(n, t.n), 0) ?? 0) + 1;
}

/** An intent that has no prediction id yet: on its way, or given up with its outcome unknown. */
export function isOpen(take: LockTake): boolean {
  return take.status === 'submitting' || take.status === 'unknown';
}

/** Whether a take's cost is money spent: everything but a failed task (refunded) and an intent declared never created. */
export function isSpent(take: LockTake): boolean {
  return take.status !== 'failed' && take.status !== 'forgotten';
}

/** Cents spent per endpoint, over every take of every shot. */
export function spentByEndpoint(lock: Lockfile): Record<string, number> {
  const spent: Record<string, number> = {};
  for (const [endpoint, state] of Object.entries(lock.endpoints)) {
    for (const shot of Object.values(state.shots)) {
      for (const take of shot.takes) if (isSpent(take)) spent[endpoint] = (spent[endpoint] ?? 0) + take.cost_cents;
    }
  }
  return spent;
}

/**
 * What counts against the budget of a run on `endpoint`: everything spent on every real endpoint (a budget is the
 * campaign's, wherever it was paid), or, for the local mock server, only its play money.
 */
export function spentCents(lock: Lockfile, endpoint: string): number {
  let total = 0;
  for (const [ep, cents] of Object.entries(spentByEndpoint(lock))) {
    if ((ep === MOCK_ENDPOINT) === (endpoint === MOCK_ENDPOINT)) total += cents;
  }
  return total;
}

/** Every prediction id the lockfile knows on an endpoint: a prediction is never claimed by two takes. */
export function claimedPredictionIds(lock: Lockfile, endpoint: string): Set<string> {
  const ids = new Set<string>();
  for (const shot of Object.values(lock.endpoints[endpoint]?.shots ?? {})) for (const take of shot.takes) if (take.prediction_id) ids.add(take.prediction_id);
  return ids;
}

/** Every open intent on an endpoint, with its shot id, oldest first. */
export function openIntents(lock: Lockfile, endpoint: string): { shot: string; take: LockTake }[] {
  const open: { shot: string; take: LockTake }[] = [];
  for (const [shot, state] of Object.entries(lock.endpoints[endpoint]?.shots ?? {})) {
    for (const take of state.takes) if (isOpen(take)) open.push({ shot, take });
  }
  return open.sort((a, b) => Date.parse(a.take.submitted_at) - Date.parse(b.take.submitted_at));
}

/**
 * Paid takes whose video was never downloaded: a prediction id, not failed, not gone, no output recorded. A take
 * the spec moved away from (an earlier lost submit found or adopted later, a shot edited or removed) is still a
 * paid video, to be kept in `.takes/` before the server deletes it (docs/ARCHITECTURE.md "Money rules", rule 5).
 */
export function undownloadedTakes(lock: Lockfile, endpoint: string): { shot: string; take: LockTake }[] {
  const found: { shot: string; take: LockTake }[] = [];
  for (const [shot, state] of Object.entries(lock.endpoints[endpoint]?.shots ?? {})) {
    for (const take of state.takes) {
      const live = take.status === 'submitted' || take.status === 'processing' || take.status === 'completed';
      if (take.prediction_id && live && take.outputs.length === 0 && take.error?.code !== 'OUTPUT_GONE') found.push({ shot, take });
    }
  }
  return found;
}
