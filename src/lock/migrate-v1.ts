import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { endpointIdentity } from '../endpoint.js';
import { normalizeRequestText } from '../util/prompt-text.js';
import { fingerprintOf } from './fingerprint.js';
import { emptyEndpointState, emptyLockfile, type Lockfile, type LockTake, type TakeStatus } from './schema.js';

/**
 * Lockfile version 1, read to be migrated to version 2 (docs/ARCHITECTURE.md "State": "Migration"). Existing
 * lockfiles keep working: nothing is rendered again because of the migration. Version 1 kept one current take
 * per shot (on whatever endpoint it was rendered) plus a `history`; version 2 keeps takes per endpoint. Prompts
 * are normalized since version 2 (util/prompt-text.ts), so fingerprints are computed again from each take's
 * recorded request: an old take of the same prompt keeps matching its spec.
 */

/** Built on first use, when a version 1 file is read: no other start pays for it (docs/ARCHITECTURE.md "Start-up"). */
function buildV1Schemas() {
  const V1Output = z.object({ url: z.string(), path: z.string(), sha256: z.string().regex(/^[0-9a-f]{64}$/), bytes: z.number().int().nonnegative() });
  const V1Take = z.object({
    fingerprint: z.string(),
    endpoint: z.string(),
    model: z.string(),
    take: z.number().int().min(1),
    prediction_id: z.string().optional(),
    status: z.enum(['submitting', 'submitted', 'processing', 'completed', 'failed', 'unknown']),
    duration: z.number().int(),
    cost_cents: z.number().int().nonnegative(),
    request: z.record(z.string(), z.unknown()),
    urls: z.record(z.string(), z.string()).optional(),
    submitted_at: z.string().optional(),
    completed_at: z.string().optional(),
    remote_outputs: z.array(z.string()).optional(),
    outputs: z.array(V1Output).default([]),
    error: z.object({ code: z.string(), task_code: z.number().int().optional(), message: z.string() }).optional(),
  });
  const V1Shot = V1Take.extend({ history: z.array(V1Take).default([]) });

  const V1LockfileSchema = z.object({
    version: z.literal(1),
    name: z.string(),
    shots: z.record(z.string(), V1Shot).default({}),
    uploads: z
      .record(z.string(), z.object({ url: z.string(), endpoint: z.string(), uploaded_at: z.string(), bytes: z.number().int().nonnegative() }))
      .default({}),
  });
  return { V1Output, V1Take, V1LockfileSchema };
}

type V1Schemas = ReturnType<typeof buildV1Schemas>;
let v1Schemas: V1Schemas | undefined;
const getV1Schemas = (): V1Schemas => (v1Schemas ??= buildV1Schemas());
export const getV1LockfileSchema = (): V1Schemas['V1LockfileSchema'] => getV1Schemas().V1LockfileSchema;

export type V1Lockfile = z.infer<V1Schemas['V1LockfileSchema']>;
type V1TakeT = z.infer<V1Schemas['V1Take']>;

/** A version 1 lockfile (with its journal already replayed) as version 2, in memory. */
export function migrateV1Lockfile(v1: V1Lockfile, spec: string): Lockfile {
  const lock = emptyLockfile(v1.name, spec, randomUUID());
  for (const [id, shot] of Object.entries(v1.shots)) {
    const { history, ...current } = shot;
    for (const old of [...history, current]) {
      const endpoint = endpointIdentity(old.endpoint);
      const state = lock.endpoints[endpoint] ?? emptyEndpointState();
      lock.endpoints[endpoint] = state;
      const entry = state.shots[id] ?? { takes: [] };
      state.shots[id] = entry;
      const take = migrateTake(old, entry.takes.length + 1);
      entry.takes.push(take);
      if (take.prediction_id) entry.current = take.n;
    }
  }
  for (const [sha256, upload] of Object.entries(v1.uploads)) {
    const endpoint = endpointIdentity(upload.endpoint);
    const state = lock.endpoints[endpoint] ?? emptyEndpointState();
    lock.endpoints[endpoint] = state;
    state.uploads[sha256] = { url: upload.url, uploaded_at: upload.uploaded_at, bytes: upload.bytes };
  }
  return lock;
}

function migrateTake(old: V1TakeT, n: number): LockTake {
  const request = normalizeRequestText(old.request);
  const status: TakeStatus = old.status;
  const take: LockTake = {
    n,
    fingerprint: fingerprintOf(old.model, request, old.take),
    model: old.model,
    take: old.take,
    status,
    duration: old.duration,
    cost_cents: old.cost_cents,
    request,
    submitted_at: old.submitted_at ?? old.completed_at ?? new Date(0).toISOString(),
    outputs: old.outputs,
  };
  if (old.prediction_id) take.prediction_id = old.prediction_id;
  if (old.urls) take.urls = old.urls;
  if (old.completed_at) take.completed_at = old.completed_at;
  if (old.remote_outputs) take.remote_outputs = old.remote_outputs;
  if (old.error) take.error = old.error;
  return take;
}

/** Version 1 journal records (an interrupted run of an earlier render), replayed before the migration. */
export type V1Record =
  | { t: 'intent'; at: string; shot: string; take: Omit<V1TakeT, 'prediction_id' | 'status' | 'outputs'> }
  | { t: 'submitted'; shot: string; fingerprint: string; prediction_id: string }
  | { t: 'unknown'; shot: string; fingerprint: string }
  | { t: 'refused'; shot: string; fingerprint: string }
  | {
      t: 'status';
      at: string;
      shot: string;
      prediction_id: string;
      status: 'processing' | 'completed' | 'failed';
      outputs?: string[];
      error?: V1TakeT['error'];
    }
  | { t: 'output'; shot: string; prediction_id: string; outputs: z.infer<V1Schemas['V1Output']>[] }
  | { t: 'moved'; shot: string; prediction_id: string; from: string; to: string }
  | { t: 'upload'; at: string; sha256: string; url: string; endpoint: string; bytes: number }
  | { t: 'unfetchable'; url: string };

/** Replay one version 1 journal record over a version 1 lockfile (the reducer of render's lockfile version 1). */
export function applyV1Record(lock: V1Lockfile, rec: V1Record): void {
  const shot = 'shot' in rec ? lock.shots[rec.shot] : undefined;
  const byId = (id: string) => (shot ? [shot, ...shot.history].find((t) => t.prediction_id === id) : undefined);
  const pending = (fp: string) =>
    shot && shot.fingerprint === fp && !shot.prediction_id && (shot.status === 'submitting' || shot.status === 'unknown') ? shot : undefined;
  switch (rec.t) {
    case 'upload':
      lock.uploads[rec.sha256] = { url: rec.url, endpoint: rec.endpoint, uploaded_at: rec.at, bytes: rec.bytes };
      return;
    case 'unfetchable':
      for (const [sha, u] of Object.entries(lock.uploads)) if (u.url === rec.url) delete lock.uploads[sha];
      return;
    case 'intent': {
      if (shot && [shot, ...shot.history].some((t) => t.submitted_at === rec.take.submitted_at && t.fingerprint === rec.take.fingerprint)) return;
      const take = { ...rec.take, status: 'submitting' as const, outputs: [] };
      if (!shot) lock.shots[rec.shot] = { ...take, history: [] };
      else {
        const { history, ...current } = shot;
        lock.shots[rec.shot] = { ...take, history: current.prediction_id !== undefined ? [...history, current] : history };
      }
      return;
    }
    case 'submitted': {
      if (byId(rec.prediction_id)) return;
      const take = pending(rec.fingerprint);
      if (take) Object.assign(take, { prediction_id: rec.prediction_id, status: 'submitted' });
      return;
    }
    case 'unknown': {
      const take = pending(rec.fingerprint);
      if (take) take.status = 'unknown';
      return;
    }
    case 'refused': {
      if (!shot || !pending(rec.fingerprint)) return;
      const previous = shot.history.at(-1);
      if (!previous) delete lock.shots[rec.shot];
      else lock.shots[rec.shot] = { ...previous, history: shot.history.slice(0, -1) };
      return;
    }
    case 'status': {
      const take = byId(rec.prediction_id);
      if (!take) return;
      take.status = rec.status;
      if (rec.status !== 'processing') take.completed_at = rec.at;
      if (rec.status === 'completed' && rec.outputs) take.remote_outputs = rec.outputs;
      if (rec.status === 'failed' && rec.error) take.error = rec.error;
      return;
    }
    case 'output': {
      const take = byId(rec.prediction_id);
      if (take) Object.assign(take, { outputs: rec.outputs, remote_outputs: undefined, error: undefined });
      return;
    }
    case 'moved':
      for (const out of byId(rec.prediction_id)?.outputs ?? []) if (out.path === rec.from) out.path = rec.to;
      return;
  }
}
