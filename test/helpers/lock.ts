import { emptyLockfile, type Lockfile, type LockShot, type LockTake, getLockSchemas } from '../../src/lock/schema.js';

export const MODEL = 'kwaivgi/kling-v3.0-4k/image-to-video';
export const REAL = 'https://api.wavespeed.ai';
export const NOW = Date.parse('2026-05-01T12:00:00Z');
export const DAY = 24 * 3600 * 1000;

type TakeFields = { [K in keyof LockTake]?: LockTake[K] | undefined };

/** A take as apply records it: take #1, completed on the real endpoint a day ago, one output, spec take 1. */
export function lockTake(fields: TakeFields = {}): LockTake {
  const take = {
    n: 1,
    fingerprint: 'f'.repeat(64),
    model: MODEL,
    take: 1,
    prediction_id: 'pred-1',
    status: 'completed',
    duration: 5,
    cost_cents: 210,
    request: {},
    submitted_at: new Date(NOW - DAY - 60_000).toISOString(),
    completed_at: new Date(NOW - DAY).toISOString(),
    outputs: [{ url: 'https://cdn.example.com/pred-1.mp4', path: 'renders/t/a.mp4', sha256: 'a'.repeat(64), bytes: 1000 }],
    ...fields,
  };
  // Fields given as undefined are left out, as a lockfile read from disk has them.
  for (const key of Object.keys(take) as (keyof typeof take)[]) if (take[key] === undefined) delete take[key];
  return getLockSchemas().TakeSchema.parse(take);
}

/** A shot of these takes (numbered 1, 2, ... in order); current: the newest with a prediction id, unless given. */
export function lockShot(takes: LockTake[], current?: number): LockShot {
  const numbered = takes.map((t, i) => ({ ...t, n: i + 1 }));
  const cur = current ?? numbered.filter((t) => t.prediction_id).at(-1)?.n;
  return cur === undefined ? { takes: numbered } : { current: cur, takes: numbered };
}

/** A lockfile whose `endpoint` holds these shots. */
export function lockWith(shots: Record<string, LockShot>, endpoint = REAL, name = 'test'): Lockfile {
  const lock = emptyLockfile(name, 'spec.yaml', 'lineage-for-tests');
  lock.endpoints[endpoint] = { shots, uploads: {} };
  return lock;
}
