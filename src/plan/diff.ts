import type { LockShot, LockTake } from '../lock/schema.js';
import type { VideoRequest } from '../models.js';
import { describeEndpoint } from '../endpoint.js';

export const ACTIONS = ['create', 'unchanged', 'replace', 'resume', 'retry', 'blocked'] as const;
export type Action = (typeof ACTIONS)[number];

/** Actions that submit a new prediction (and so cost money). */
export const SUBMITTING: ReadonlySet<Action> = new Set(['create', 'replace', 'retry']);

/** Predictions and their files live 7 days on the server (docs/ARCHITECTURE.md "API facts we rely on"). */
const SERVER_RETENTION_MS = 7 * 24 * 3600 * 1000;

/** Task codes that mean "fix the input": the same input would fail again (docs/ARCHITECTURE.md "API facts we rely
 * on"). 1402 is a fetch failure of an upload URL, which a fresh upload cures, so it is retried. */
function isInputFailure(taskCode: number | undefined): boolean {
  return taskCode !== undefined && taskCode >= 1000 && taskCode < 2000 && taskCode !== 1402;
}

export interface DiffInput {
  model: string;
  fingerprint: string;
  request: VideoRequest;
  take: number;
  endpoint: string;
  entry: LockShot | undefined;
  /** Whether every recorded output file is on disk with its recorded size. */
  outputsIntact: (take: LockTake) => boolean;
  now: number;
}

export interface Decision {
  action: Action;
  reason: string;
}

/** What apply must do for one shot, and why, from its fingerprint and what the lockfile recorded. */
export function decideAction(input: DiffInput): Decision {
  const { entry, endpoint, fingerprint } = input;
  if (!entry) return { action: 'create', reason: 'never rendered' };
  if (entry.endpoint !== endpoint) {
    return { action: 'create', reason: `rendered only on ${describeEndpoint(entry.endpoint)}, never on ${describeEndpoint(endpoint)}` };
  }
  const inFlight = entry.status !== 'completed' && entry.status !== 'failed';
  if (inFlight) return resumeDecision(entry, entry.fingerprint !== fingerprint);
  if (entry.fingerprint !== fingerprint) {
    const change = describeChange(entry, input.model, input.request, input.take);
    return entry.status === 'failed' ? { action: 'retry', reason: `failed before (${failureText(entry)}); ${change}` } : { action: 'replace', reason: change };
  }
  if (entry.status === 'failed') {
    return isInputFailure(entry.error?.task_code)
      ? { action: 'blocked', reason: `failed: ${failureText(entry)}; the same inputs would fail again: change the shot to retry it` }
      : { action: 'retry', reason: `failed: ${failureText(entry)}` };
  }
  if (input.outputsIntact(entry)) return { action: 'unchanged', reason: 'rendered, output intact' };
  if (entry.error?.code === 'OUTPUT_GONE') {
    return { action: 'replace', reason: 'the server deleted the output before it was downloaded: render again' };
  }
  const age = entry.completed_at ? input.now - Date.parse(entry.completed_at) : Infinity;
  return age < SERVER_RETENTION_MS - 3600_000
    ? { action: 'resume', reason: 'output file missing or changed: download it again (no new charge)' }
    : { action: 'replace', reason: 'output file missing and the server deleted its copy after 7 days: render again' };
}

function resumeDecision(entry: LockShot, changed: boolean): Decision {
  const later = changed ? '; inputs changed since: the next apply renders the change' : '';
  if (entry.prediction_id) {
    return { action: 'resume', reason: `in flight as ${entry.prediction_id}: poll it, never resubmit${later}` };
  }
  return { action: 'resume', reason: `submit outcome unknown: settle by listing predictions before paying again${later}` };
}

function failureText(entry: LockTake): string {
  const e = entry.error;
  if (!e) return 'unknown error';
  return e.task_code !== undefined ? `${e.task_code} ${e.message.replace(/^\d+:?\s*/, '')}` : e.message;
}

const FIELD_NAMES: Record<string, string> = { image: 'start image', end_image: 'end image', element_list: 'elements' };

/** "prompt changed", "duration 5 → 6 s", "start image content changed", "take 1 → 2". */
function describeChange(entry: LockTake, model: string, request: VideoRequest, take: number): string {
  const before = entry.request as Record<string, unknown>;
  const after = request as unknown as Record<string, unknown>;
  const changes: string[] = [];
  for (const key of [...new Set([...Object.keys(before), ...Object.keys(after)])].sort()) {
    const a = before[key];
    const b = after[key];
    if (JSON.stringify(a) === JSON.stringify(b)) continue;
    const name = FIELD_NAMES[key] ?? key;
    if (a === undefined) changes.push(`${name} added`);
    else if (b === undefined) changes.push(`${name} removed`);
    else if (typeof a !== 'object' && typeof b !== 'object' && String(a).length <= 24 && String(b).length <= 24 && !String(a).startsWith('sha256:')) {
      changes.push(`${name} ${String(a)} → ${String(b)}`);
    } else changes.push(String(a).startsWith('sha256:') ? `${name} content changed` : `${name} changed`);
  }
  if (entry.model !== model) changes.push(`model ${entry.model} → ${model}`);
  if (entry.take !== take) changes.push(`take ${entry.take} → ${take}`);
  return changes.length ? changes.join(', ') : 'inputs changed';
}
