import type { JournalRecord } from './records.js';
import { emptyEndpointState, getLockSchemas, type EndpointState, type Lockfile, type LockTake } from './schema.js';

/**
 * The one reducer from journal records to lockfile state (docs/ARCHITECTURE.md "State"). A live run, a replay
 * after a crash, `render adopt` and `render forget` all go through it, so what is on disk always means the same
 * thing. Every record is idempotent: replaying a journal over a lockfile that already holds it (a kill between a
 * compaction's lockfile write and its journal truncation) changes nothing. Records that no longer match a take
 * (a stale reference) are ignored rather than trusted.
 */
export function applyRecord(lock: Lockfile, rec: JournalRecord): void {
  switch (rec.t) {
    case 'base':
      return;
    case 'kept':
      if (!lock.kept.some((k) => k.path === rec.path)) {
        lock.kept.push({ from: rec.from, path: rec.path, sha256: rec.sha256, bytes: rec.bytes, at: rec.at, reason: rec.reason });
      }
      return;
    case 'upload':
      endpointOf(lock, rec.endpoint).uploads[rec.sha256] = { url: rec.url, uploaded_at: rec.at, bytes: rec.bytes };
      return;
    case 'unfetchable': // written by versions before the rule moved into `status` below; still replayed
      forgetUploads(lock, rec.endpoint, [rec.url]);
      return;
    case 'intent':
      recordIntent(lock, rec);
      return;
    default:
      applyTakeRecord(lock, rec);
  }
}

type TakeRecord = Exclude<JournalRecord, { t: 'base' | 'kept' | 'upload' | 'unfetchable' | 'intent' }>;

function applyTakeRecord(lock: Lockfile, rec: TakeRecord): void {
  const shot = lock.endpoints[rec.endpoint]?.shots[rec.shot];
  const take = shot?.takes.find((t) => t.n === rec.n);
  if (!shot || !take) return;
  switch (rec.t) {
    case 'submitted':
      if (take.prediction_id) return; // replayed: already recorded
      if (take.status !== 'submitting' && take.status !== 'unknown') return;
      take.prediction_id = rec.prediction_id;
      take.status = 'submitted';
      if (rec.by) take.settled_by = rec.by;
      // An older intent found later (adopted, or matched in the list) never takes the place of a newer take.
      if (shot.current === undefined || rec.n > shot.current) shot.current = rec.n;
      return;
    case 'unknown':
      if (take.status !== 'submitting') return;
      take.status = 'unknown';
      take.given_up_at = rec.at;
      take.error = { code: 'UNKNOWN_OUTCOME', message: rec.message };
      return;
    case 'refused':
      if (take.prediction_id || (take.status !== 'submitting' && take.status !== 'unknown')) return;
      // No prediction exists: the intent is not a take (and a shot with no takes left is no entry).
      shot.takes = shot.takes.filter((t) => t !== take);
      if (shot.takes.length === 0) delete lock.endpoints[rec.endpoint]!.shots[rec.shot];
      return;
    case 'forgotten':
      if (take.prediction_id || (take.status !== 'submitting' && take.status !== 'unknown')) return;
      take.status = 'forgotten';
      take.settled_by = 'forget';
      return;
    case 'status':
      recordStatus(take, rec);
      // A 1402 (the server could not fetch an upload URL): that URL is never sent again, however the failure was
      // learned (followed, settled, adopted), in the same record as the failure, so no crash can part the two.
      if (rec.status === 'failed' && rec.error?.task_code === 1402) forgetUploads(lock, rec.endpoint, Object.values(take.urls ?? {}));
      return;
    case 'output':
      take.outputs = rec.outputs;
      delete take.remote_outputs;
      if (take.error?.code === 'OUTPUT_GONE') delete take.error;
      return;
    case 'gone':
      take.error = { code: 'OUTPUT_GONE', message: rec.message };
      return;
    case 'moved':
      for (const out of take.outputs) if (out.path === rec.from) out.path = rec.to;
      return;
    case 'current':
      shot.current = rec.n;
      return;
  }
}

function endpointOf(lock: Lockfile, endpoint: string): EndpointState {
  let state = lock.endpoints[endpoint];
  if (!state) {
    state = emptyEndpointState();
    lock.endpoints[endpoint] = state;
  }
  return state;
}

function recordIntent(lock: Lockfile, rec: Extract<JournalRecord, { t: 'intent' }>): void {
  const shots = endpointOf(lock, rec.endpoint).shots;
  const shot = shots[rec.shot] ?? { takes: [] };
  shots[rec.shot] = shot;
  // Replayed over a lockfile that already holds it: nothing to do, or its take would be kept twice.
  if (shot.takes.some((t) => t.n === rec.take.n)) return;
  shot.takes.push({ ...rec.take, status: 'submitting', outputs: [] });
}

function forgetUploads(lock: Lockfile, endpoint: string, urls: readonly string[]): void {
  const uploads = lock.endpoints[endpoint]?.uploads ?? {};
  for (const [sha256, upload] of Object.entries(uploads)) if (urls.includes(upload.url)) delete uploads[sha256];
}

function recordStatus(take: LockTake, rec: Extract<JournalRecord, { t: 'status' }>): void {
  if (!take.prediction_id) return;
  // A final status is final: a late `processing` replayed after `completed` must not undo it.
  if (take.status === 'completed' || take.status === 'failed') return;
  take.status = rec.status;
  if (rec.status === 'completed') {
    take.completed_at = rec.at;
    if (rec.outputs) take.remote_outputs = rec.outputs;
    if (rec.render_ms !== undefined) take.render_ms = rec.render_ms;
    delete take.error;
  }
  if (rec.status === 'failed') {
    take.completed_at = rec.at;
    if (rec.error) take.error = rec.error;
  }
}

/**
 * Replay records and check the result against the lockfile's schema: the state, or the first record (by index)
 * after which it no longer fits, and what broke. The journal, the lockfile's wal and the state database's records
 * are all checked so (docs/ARCHITECTURE.md "Team state": the same records and the same reducer whatever keeps them).
 */
export function replayChecked<R>(records: readonly R[], replay: (records: readonly R[]) => Lockfile): { lock: Lockfile } | { bad: number; where: string } {
  const lock = replay(records);
  if (records.length === 0) return { lock };
  const { LockfileSchema } = getLockSchemas();
  if (LockfileSchema.safeParse(lock).success) return { lock };
  for (let k = 1; k <= records.length; k++) {
    const parsed = LockfileSchema.safeParse(replay(records.slice(0, k)));
    if (parsed.success) continue;
    const issue = parsed.error.issues[0];
    return { bad: k - 1, where: issue ? `${issue.path.join('.')}: ${issue.message}` : 'invalid state' };
  }
  return { bad: records.length - 1, where: 'an invalid state' };
}
