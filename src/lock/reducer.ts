import type { JournalRecord } from './records.js';
import type { Lockfile, LockShot, LockTake } from './schema.js';
import { takeById } from './takes.js';

/**
 * The one reducer from journal records to lockfile state. A live run and a replay after a crash go through
 * it alike, so what is on disk always means the same thing. Records that no longer match (a stale id) are
 * ignored rather than trusted. Replaying a journal over a lockfile that already holds it (a kill between a
 * compaction's lockfile write and its journal truncation) must change nothing: every record is idempotent.
 */
export function applyRecord(lock: Lockfile, rec: JournalRecord): void {
  switch (rec.t) {
    case 'upload':
      lock.uploads[rec.sha256] = { url: rec.url, endpoint: rec.endpoint, uploaded_at: rec.at, bytes: rec.bytes };
      return;
    case 'unfetchable':
      for (const [sha256, upload] of Object.entries(lock.uploads)) if (upload.url === rec.url) delete lock.uploads[sha256];
      return;
    case 'intent':
      recordIntent(lock, rec.shot, rec.take);
      return;
    case 'submitted': {
      if (takeById(lock.shots[rec.shot], rec.prediction_id)) return; // replayed: already recorded
      const take = pendingTake(lock.shots[rec.shot], rec.fingerprint);
      if (take) Object.assign(take, { prediction_id: rec.prediction_id, status: 'submitted' });
      return;
    }
    case 'unknown': {
      const take = pendingTake(lock.shots[rec.shot], rec.fingerprint);
      if (take) take.status = 'unknown';
      return;
    }
    case 'refused':
      recordRefused(lock, rec.shot, rec.fingerprint);
      return;
    case 'status':
      recordStatus(lock, rec);
      return;
    case 'output': {
      const take = takeById(lock.shots[rec.shot], rec.prediction_id);
      if (take) {
        take.outputs = rec.outputs;
        delete take.remote_outputs;
        delete take.error;
      }
      return;
    }
    case 'gone': {
      const take = takeById(lock.shots[rec.shot], rec.prediction_id);
      if (take) take.error = { code: 'OUTPUT_GONE', message: rec.message };
      return;
    }
    case 'moved': {
      const take = takeById(lock.shots[rec.shot], rec.prediction_id);
      for (const out of take?.outputs ?? []) if (out.path === rec.from) out.path = rec.to;
      return;
    }
  }
}

function recordIntent(lock: Lockfile, shotId: string, fields: Omit<LockTake, 'prediction_id' | 'status' | 'outputs'>): void {
  const prev = lock.shots[shotId];
  // Replayed over a lockfile that already holds it: nothing to do, or its take would be kept twice.
  if (prev && [prev, ...prev.history].some((t) => t.submitted_at === fields.submitted_at && t.fingerprint === fields.fingerprint)) return;
  const take: LockTake = { ...fields, status: 'submitting', outputs: [] };
  if (!prev) {
    lock.shots[shotId] = { ...take, history: [] };
    return;
  }
  const { history, ...current } = prev;
  // An earlier intent that never became a prediction is not a take: it is replaced, not kept.
  const keep = current.prediction_id !== undefined ? [...history, current] : history;
  lock.shots[shotId] = { ...take, history: keep };
}

function recordRefused(lock: Lockfile, shotId: string, fingerprint: string): void {
  const shot = lock.shots[shotId];
  if (!pendingTake(shot, fingerprint) || !shot) return;
  const previous = shot.history.at(-1);
  if (!previous) {
    delete lock.shots[shotId];
    return;
  }
  lock.shots[shotId] = { ...previous, history: shot.history.slice(0, -1) };
}

function recordStatus(lock: Lockfile, rec: Extract<JournalRecord, { t: 'status' }>): void {
  const take = takeById(lock.shots[rec.shot], rec.prediction_id);
  if (!take) return;
  take.status = rec.status;
  if (rec.status === 'completed') {
    take.completed_at = rec.at;
    if (rec.outputs) take.remote_outputs = rec.outputs;
    delete take.error;
  }
  if (rec.status === 'failed') {
    take.completed_at = rec.at;
    if (rec.error) take.error = rec.error;
  }
}

/** The shot's current take while it has no prediction id yet (submitting or unknown), for this fingerprint. */
function pendingTake(shot: LockShot | undefined, fingerprint: string): LockShot | undefined {
  if (!shot || shot.fingerprint !== fingerprint || shot.prediction_id !== undefined) return undefined;
  return shot.status === 'submitting' || shot.status === 'unknown' ? shot : undefined;
}
