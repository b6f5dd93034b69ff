import { describeEndpoint } from '../endpoint.js';
import type { LockShot, LockTake } from '../lock/schema.js';
import { currentTake, isOpen } from '../lock/takes.js';
import type { VideoRequest } from '../models.js';

export const ACTIONS = ['create', 'unchanged', 'replace', 'resume', 'retry', 'blocked', 'restore', 'regenerate'] as const;
export type Action = (typeof ACTIONS)[number];

/** Actions that submit a new prediction (and so cost money). */
export const SUBMITTING: ReadonlySet<Action> = new Set(['create', 'replace', 'retry', 'regenerate']);

/** Predictions and their files live 7 days on the server (docs/ARCHITECTURE.md "API facts we rely on"). */
const SERVER_RETENTION_MS = 7 * 24 * 3600 * 1000;
/** A remote output this close to its deletion is not counted on. */
const RETENTION_MARGIN_MS = 3600 * 1000;

/** Task codes that mean "fix the input": the same input would fail again. 1402 (an upload URL the server could not
 * fetch) is cured by a fresh upload, so it is retried. */
function isInputFailure(taskCode: number | undefined): boolean {
  return taskCode !== undefined && taskCode >= 1000 && taskCode < 2000 && taskCode !== 1402;
}

/** Where a take's recorded outputs are: at the shot's output name, intact elsewhere (`.takes/`), or not on disk. */
export type TakeFiles = 'here' | 'elsewhere' | 'missing';

export interface DiffInput {
  model: string;
  fingerprint: string;
  request: VideoRequest;
  take: number;
  endpoint: string;
  /** The shot's state on this endpoint. */
  entry: LockShot | undefined;
  /** Endpoints other than this one where the shot has takes (for the reason). */
  elsewhere: readonly string[];
  filesOf: (take: LockTake) => TakeFiles;
  /** Where a take's outputs were downloaded, when that was another machine or folder (known with a state database). */
  keptElsewhere?: (take: LockTake) => string | undefined;
  now: number;
}

export interface FieldChange {
  field: string;
  before: unknown;
  after: unknown;
}

export interface Decision {
  action: Action;
  reason: string;
  /** The take the action concerns: the one resumed, restored, kept unchanged, or replaced. */
  takeN?: number;
  /** For `restore`: the take's files are on disk (moved back), or downloaded again from the server. */
  restoreFrom?: 'file' | 'download';
  /** For `replace` and `retry` after a change: what differs from the current take. */
  changes?: FieldChange[];
  /** For `blocked`: the video exists only at this `host:folder`. */
  onlyAt?: string;
}

/** What apply must do for one shot, and why, from its fingerprint and every take the lockfile recorded. */
export function decideAction(input: DiffInput): Decision {
  const d = decide(input);
  const pending = openElsewhere(input);
  return pending ? { ...d, reason: `${d.reason}; ${pending}` } : d;
}

function decide(input: DiffInput): Decision {
  const { entry, fingerprint } = input;
  if (!entry || entry.takes.length === 0) return { action: 'create', reason: neverRendered(input) };
  const cur = currentTake(entry);
  if (cur && (cur.status === 'submitted' || cur.status === 'processing')) {
    const later = cur.fingerprint !== fingerprint ? '; inputs changed since: the next apply renders the change' : '';
    return { action: 'resume', takeN: cur.n, reason: `in flight as ${cur.prediction_id}: poll it, never resubmit${later}` };
  }
  const open = entry.takes.filter((t) => isOpen(t) && t.fingerprint === fingerprint).at(-1);
  if (open) {
    return {
      action: 'resume',
      takeN: open.n,
      reason: `submit outcome unknown since ${open.submitted_at}: apply looks for it in the server's list and never pays again blindly; resolve it yourself with \`render adopt\` or \`render forget\``,
    };
  }
  const done = completedWith(entry, fingerprint, cur);
  const kept = fromCompleted(input, done, cur);
  if (kept) return kept;
  const latest = entry.takes.filter((t) => t.fingerprint === fingerprint && t.status !== 'forgotten' && !isOpen(t)).at(-1);
  if (latest?.status === 'failed') {
    return isInputFailure(latest.error?.task_code)
      ? { action: 'blocked', takeN: latest.n, reason: `failed: ${failureText(latest)}; the same inputs would fail again: change the shot to retry it` }
      : { action: 'retry', takeN: latest.n, reason: `failed: ${failureText(latest)}` };
  }
  if (done.length > 0) return onlyElsewhere(input, done) ?? regenerate(done);
  const before = cur ?? entry.takes.filter((t) => t.prediction_id).at(-1);
  if (!before) return { action: 'create', reason: neverRendered(input) };
  const changes = changesOf(before, input.model, input.request, input.take);
  const change = describeChanges(changes);
  return before.status === 'failed'
    ? { action: 'retry', takeN: before.n, changes, reason: `failed before (${failureText(before)}); ${change}` }
    : { action: 'replace', takeN: before.n, changes, reason: change };
}

/** Completed takes with this fingerprint: the current one first, then the newest. */
function completedWith(entry: LockShot, fingerprint: string, cur: LockTake | undefined): LockTake[] {
  const done = entry.takes.filter((t) => t.status === 'completed' && t.fingerprint === fingerprint).reverse();
  return cur && done.includes(cur) ? [cur, ...done.filter((t) => t !== cur)] : done;
}

/** A completed take with these inputs whose video is on disk, or still on the server: kept, or restored for $0. */
function fromCompleted(input: DiffInput, done: LockTake[], cur: LockTake | undefined): Decision | undefined {
  const [first] = done;
  if (first === cur && cur && input.filesOf(cur) === 'here') return { action: 'unchanged', takeN: cur.n, reason: 'rendered, output intact' };
  const onDisk = done.find((t) => input.filesOf(t) !== 'missing');
  if (onDisk) {
    const reason =
      onDisk === cur
        ? 'the output file was moved: put it back (no new charge)'
        : `restore take #${onDisk.n} (rendered ${day(onDisk.completed_at)}, kept in .takes/): the same inputs, no new charge`;
    return { action: 'restore', takeN: onDisk.n, restoreFrom: 'file', reason };
  }
  const remote = done.find((t) => downloadable(t, input.now));
  if (remote) {
    const reason =
      remote === cur
        ? 'output file missing or changed: download it again (no new charge)'
        : `restore take #${remote.n} (rendered ${day(remote.completed_at)}): download it again from the server, no new charge`;
    return { action: 'restore', takeN: remote.n, restoreFrom: 'download', reason };
  }
  return undefined;
}

/**
 * A completed take's video that only another machine (or clone) downloaded, after the server deleted its copy: never
 * paid for again by a teammate's or a CI runner's apply that merely lacks the file (docs/ARCHITECTURE.md "Team
 * state"). Blocked, naming where it is: copy it here, or bump the shot's `take:` to render it again.
 */
function onlyElsewhere(input: DiffInput, done: LockTake[]): Decision | undefined {
  for (const take of done) {
    const where = take.outputs.length > 0 ? input.keptElsewhere?.(take) : undefined;
    if (!where) continue;
    return {
      action: 'blocked',
      takeN: take.n,
      onlyAt: where,
      reason: `take #${take.n}'s video exists only on ${where} (downloaded there; the server deleted its copy after 7 days): copy ${take.outputs[0]!.path} from there to keep it for $0, or bump the shot's take: to render it again`,
    };
  }
  return undefined;
}

/** Completed takes with these inputs exist, but no video of them is left anywhere: rendering again is a choice. */
function regenerate(done: LockTake[]): Decision {
  const gone = done.some((t) => t.error?.code === 'OUTPUT_GONE');
  return {
    action: 'regenerate',
    takeN: done[0]?.n,
    reason: gone
      ? 'output deleted on the server before it was downloaded: rendering it again costs a new prediction'
      : 'output file missing, and the server deleted its copy after 7 days: rendering it again costs a new prediction',
  };
}

/** A completed take whose output the server still holds (7 days, less a margin). */
export function downloadable(take: LockTake, now: number): boolean {
  if (!take.prediction_id || take.error?.code === 'OUTPUT_GONE') return false;
  const age = take.completed_at ? now - Date.parse(take.completed_at) : Infinity;
  return age < SERVER_RETENTION_MS - RETENTION_MARGIN_MS;
}

function neverRendered(input: DiffInput): string {
  const first = input.elsewhere[0];
  if (first === undefined) return 'never rendered';
  return `rendered only on ${input.elsewhere.map(describeEndpoint).join(', ')}, never on ${describeEndpoint(input.endpoint)}`;
}

/** Open intents of other inputs still count as spent until settled: say so, and how to settle them. */
function openElsewhere(input: DiffInput): string | undefined {
  const others = input.entry?.takes.filter((t) => isOpen(t) && t.fingerprint !== input.fingerprint) ?? [];
  if (others.length === 0) return undefined;
  const list = others.map((t) => `#${t.n}`).join(', ');
  return `an earlier submit of other inputs (take ${list}) is still outcome unknown and counted as spent: \`render adopt\` or \`render forget\` it`;
}

function day(iso: string | undefined): string {
  return iso ? iso.slice(0, 10) : 'earlier';
}

function failureText(take: LockTake): string {
  const e = take.error;
  if (!e) return 'unknown error';
  return e.task_code !== undefined ? `${e.task_code} ${e.message.replace(/^\d+:?\s*/, '')}` : e.message;
}

const FIELD_NAMES: Record<string, string> = { image: 'start image', end_image: 'end image', element_list: 'elements' };

/** The fields whose values differ between a recorded take and a shot's request now (plus model and take). */
export function changesOf(before: LockTake, model: string, request: VideoRequest, take: number): FieldChange[] {
  const a = before.request as Record<string, unknown>;
  const b = request as unknown as Record<string, unknown>;
  const changes: FieldChange[] = [];
  for (const key of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
    if (JSON.stringify(a[key]) !== JSON.stringify(b[key])) changes.push({ field: key, before: a[key], after: b[key] });
  }
  if (before.model !== model) changes.push({ field: 'model', before: before.model, after: model });
  if (before.take !== take) changes.push({ field: 'take', before: before.take, after: take });
  return changes;
}

/** "prompt changed", "duration 5 → 6", "start image content changed", "take 1 → 2". */
export function describeChanges(changes: readonly FieldChange[]): string {
  const parts = changes.map(({ field, before: a, after: b }) => {
    const name = FIELD_NAMES[field] ?? field;
    if (a === undefined) return `${name} added`;
    if (b === undefined) return `${name} removed`;
    if (String(a).startsWith('sha256:')) return `${name} content changed`;
    if (field === 'model' || field === 'take') return `${name} ${String(a)} → ${String(b)}`;
    if (typeof a !== 'object' && typeof b !== 'object' && String(a).length <= 24 && String(b).length <= 24) return `${name} ${String(a)} → ${String(b)}`;
    return `${name} changed`;
  });
  return parts.length ? parts.join(', ') : 'inputs changed';
}
