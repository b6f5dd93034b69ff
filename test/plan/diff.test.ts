import { describe, expect, it } from 'vitest';
import { fingerprintOf } from '../../src/lock/fingerprint.js';
import type { LockShot, LockTake } from '../../src/lock/schema.js';
import type { VideoRequest } from '../../src/models.js';
import { type Action, decideAction, SUBMITTING, type TakeFiles } from '../../src/plan/diff.js';
import { DAY, lockShot, lockTake, MODEL, NOW, REAL } from '../helpers/lock.js';

/**
 * Plan actions (docs/SPEC.md "Commands and exit codes"), decided per shot from its fingerprint and every take the
 * lockfile recorded on the endpoint: create (never rendered), unchanged (completed, same fingerprint, output intact),
 * replace (inputs changed), resume (submitted, not finished, or outcome unknown: never resubmit), retry (failed),
 * blocked (failed on its input, and the input is the same), restore (an earlier take of these inputs comes back
 * for $0), regenerate (its paid output is gone everywhere: rendering again costs).
 */

const START = `sha256:${'1'.repeat(64)}`;
const REQUEST: VideoRequest = {
  duration: 5,
  image: START,
  prompt: 'the mascot runs along a rooftop at sunset',
  cfg_scale: 0.5,
  sound: false,
  shot_type: 'customize',
};
const FP = fingerprintOf(MODEL, REQUEST, 1);

type Fields = Parameters<typeof lockTake>[0];

/** A take rendered with `before` (fingerprint and request as recorded then). */
const takeWith = (before: VideoRequest, fields: Fields = {}, take = 1, model = MODEL): LockTake =>
  lockTake({ fingerprint: fingerprintOf(model, before, take), request: before as unknown as Record<string, unknown>, take, model, ...fields });

/** The state of a shot whose one take was rendered with `before`. */
const renderedWith = (before: VideoRequest, fields: Fields = {}, take = 1, model = MODEL) => lockShot([takeWith(before, fields, take, model)]);

const failed = (task_code: number | undefined, message: string, before = REQUEST) =>
  renderedWith(before, { status: 'failed', outputs: [], completed_at: undefined, error: { code: 'TASK_FAILED', task_code, message } });

const SINCE = new Date(NOW - DAY - 60_000).toISOString();
const UNKNOWN = `submit outcome unknown since ${SINCE}: apply looks for it in the server's list and never pays again blindly; resolve it yourself with \`render adopt\` or \`render forget\``;
const LATER = { ...REQUEST, prompt: 'a later idea' };

interface Case {
  entry: LockShot | undefined;
  /** Planning for this endpoint (default: the real API). */
  endpoint?: string;
  /** Other endpoints where the shot has takes. */
  elsewhere?: string[];
  /** Where each take's recorded output files are (default: at the shot's output name; `intact: false`: missing). */
  files?: (take: LockTake) => TakeFiles;
  intact?: boolean;
  /** The shot now (default: REQUEST, take 1). */
  request?: VideoRequest;
  take?: number;
  /** Where a take's video was downloaded when not here (a state database knows: docs/ARCHITECTURE.md "Team state"). */
  keptElsewhere?: (take: LockTake) => string | undefined;
}

const CASES: [name: string, action: Action, reason: string, c: Case][] = [
  ['no lockfile entry', 'create', 'never rendered', { entry: undefined }],
  [
    'rendered only on the mock',
    'create',
    'rendered only on the local mock server, never on https://api.wavespeed.ai',
    { entry: undefined, elsewhere: ['mock'] },
  ],
  [
    'rendered only on the real API, planning for the mock',
    'create',
    'rendered only on https://api.wavespeed.ai, never on the local mock server',
    { entry: undefined, endpoint: 'mock', elsewhere: [REAL] },
  ],

  ['completed, same inputs, output intact', 'unchanged', 'rendered, output intact', { entry: renderedWith(REQUEST) }],

  ['the prompt changed', 'replace', 'prompt changed', { entry: renderedWith({ ...REQUEST, prompt: 'the mascot runs through a park at dawn' }) }],
  ['the duration changed', 'replace', 'duration 6 → 5', { entry: renderedWith({ ...REQUEST, duration: 6 }) }],
  ['cfg_scale and sound changed', 'replace', 'cfg_scale 0.7 → 0.5, sound true → false', { entry: renderedWith({ ...REQUEST, cfg_scale: 0.7, sound: true }) }],
  ['shot_type changed', 'replace', 'shot_type intelligent → customize', { entry: renderedWith({ ...REQUEST, shot_type: 'intelligent' }) }],
  ["the start image's pixels changed", 'replace', 'start image content changed', { entry: renderedWith({ ...REQUEST, image: `sha256:${'2'.repeat(64)}` }) }],
  ['an end image was added', 'replace', 'end image added', { entry: renderedWith(REQUEST), request: { ...REQUEST, end_image: START } }],
  ['elements were removed', 'replace', 'elements removed', { entry: renderedWith({ ...REQUEST, element_list: [{ element_id: '1' }] }) }],
  ['a new take of the same inputs', 'replace', 'take 1 → 2', { entry: renderedWith(REQUEST), take: 2 }],
  [
    'the model changed',
    'replace',
    'model kwaivgi/kling-video-o3-4k/image-to-video → kwaivgi/kling-v3.0-4k/image-to-video',
    { entry: renderedWith(REQUEST, {}, 1, 'kwaivgi/kling-video-o3-4k/image-to-video') },
  ],

  [
    'submitted, id known',
    'resume',
    'in flight as pred-1: poll it, never resubmit',
    { entry: renderedWith(REQUEST, { status: 'submitted', outputs: [], completed_at: undefined }) },
  ],
  [
    'processing, and the inputs changed since',
    'resume',
    'in flight as pred-1: poll it, never resubmit; inputs changed since: the next apply renders the change',
    { entry: renderedWith({ ...REQUEST, prompt: 'old' }, { status: 'processing', outputs: [] }) },
  ],
  [
    'submit sent, no id recorded',
    'resume',
    UNKNOWN,
    { entry: renderedWith(REQUEST, { status: 'submitting', prediction_id: undefined, outputs: [], completed_at: undefined }) },
  ],
  [
    'outcome unknown, no id',
    'resume',
    UNKNOWN,
    { entry: renderedWith(REQUEST, { status: 'unknown', prediction_id: undefined, outputs: [], completed_at: undefined }) },
  ],

  [
    'completed a day ago, output file gone',
    'restore',
    'output file missing or changed: download it again (no new charge)',
    { entry: renderedWith(REQUEST), intact: false },
  ],
  [
    "the current take's file was moved by hand into .takes/",
    'restore',
    'the output file was moved: put it back (no new charge)',
    { entry: renderedWith(REQUEST), files: () => 'elsewhere' },
  ],
  [
    'a prompt reverted to an earlier take kept in .takes/',
    'restore',
    `restore take #1 (rendered ${SINCE.slice(0, 10)}, kept in .takes/): the same inputs, no new charge`,
    {
      entry: lockShot([takeWith(REQUEST, { completed_at: SINCE }), takeWith(LATER, { prediction_id: 'pred-2' })]),
      files: (t) => (t.n === 1 ? 'elsewhere' : 'here'),
    },
  ],
  [
    'a prompt reverted to an earlier take whose file is gone but the server still has',
    'restore',
    `restore take #1 (rendered ${SINCE.slice(0, 10)}): download it again from the server, no new charge`,
    {
      entry: lockShot([takeWith(REQUEST, { completed_at: SINCE }), takeWith(LATER, { prediction_id: 'pred-2' })]),
      files: (t) => (t.n === 1 ? 'missing' : 'here'),
    },
  ],

  ['failed on the server (5003), same inputs', 'retry', 'failed: 5003 service unavailable', { entry: failed(5003, '5003: service unavailable') }],
  ['failed fetching an upload URL (1402), same inputs', 'retry', 'failed: 1402 media URL not fetchable', { entry: failed(1402, 'media URL not fetchable') }],
  ['failed without a task code', 'retry', 'failed: connection reset', { entry: failed(undefined, 'connection reset') }],
  [
    'failed on moderation (1200), then the prompt changed',
    'retry',
    'failed before (1200 content flagged); prompt changed',
    { entry: failed(1200, 'content flagged', { ...REQUEST, prompt: 'the mascot fights a rival on a rooftop' }) },
  ],
  [
    'a failed retry after the paid output was gone: retry, not regenerate',
    'retry',
    'failed: 5003 service unavailable',
    {
      entry: lockShot([
        takeWith(REQUEST, { error: { code: 'OUTPUT_GONE', message: '404' } }),
        takeWith(REQUEST, {
          prediction_id: 'pred-2',
          status: 'failed',
          outputs: [],
          error: { code: 'TASK_FAILED', task_code: 5003, message: 'service unavailable' },
        }),
      ]),
      intact: false,
    },
  ],

  [
    'completed 8 days ago, output file gone (the server deleted its copy)',
    'regenerate',
    'output file missing, and the server deleted its copy after 7 days: rendering it again costs a new prediction',
    { entry: renderedWith(REQUEST, { completed_at: new Date(NOW - 8 * DAY).toISOString() }), intact: false },
  ],
  [
    'completed 8 days ago, its video downloaded only on another machine (a state database says where)',
    'blocked',
    "take #1's video exists only on build-07:/ci/campaign (downloaded there; the server deleted its copy after 7 days): copy renders/t/a.mp4 from there to keep it for $0, or bump the shot's take: to render it again",
    {
      entry: renderedWith(REQUEST, { completed_at: new Date(NOW - 8 * DAY).toISOString() }),
      intact: false,
      keptElsewhere: () => 'build-07:/ci/campaign',
    },
  ],
  [
    'completed 2 days ago, downloaded only on another machine: downloaded again here from the server, not blocked',
    'restore',
    'output file missing or changed: download it again (no new charge)',
    { entry: renderedWith(REQUEST, { completed_at: new Date(NOW - 2 * DAY).toISOString() }), intact: false, keptElsewhere: () => 'build-07:/ci/campaign' },
  ],
  [
    'completed, no completion time, output file gone',
    'regenerate',
    'output file missing, and the server deleted its copy after 7 days: rendering it again costs a new prediction',
    { entry: renderedWith(REQUEST, { completed_at: undefined }), intact: false },
  ],
  [
    'the server deleted the output before it was downloaded',
    'regenerate',
    'output deleted on the server before it was downloaded: rendering it again costs a new prediction',
    { entry: renderedWith(REQUEST, { outputs: [], error: { code: 'OUTPUT_GONE', message: '404' } }), intact: false },
  ],

  [
    'failed on moderation (1200), same inputs',
    'blocked',
    'failed: 1200 content flagged; the same inputs would fail again: change the shot to retry it',
    { entry: failed(1200, '1200: content flagged') },
  ],
  [
    'failed on an invalid parameter (1401), same inputs',
    'blocked',
    'failed: 1401 invalid param; the same inputs would fail again: change the shot to retry it',
    { entry: failed(1401, 'invalid param') },
  ],

  [
    'an earlier submit of other inputs is still outcome unknown',
    'replace',
    'prompt changed; an earlier submit of other inputs (take #2) is still outcome unknown and counted as spent: `render adopt` or `render forget` it',
    {
      entry: lockShot([
        takeWith({ ...REQUEST, prompt: 'v1' }),
        takeWith({ ...REQUEST, prompt: 'v2' }, { status: 'unknown', prediction_id: undefined, outputs: [], completed_at: undefined }),
      ]),
    },
  ],
];

describe('decideAction', () => {
  it.each(CASES)('%s → %s', (_name, action, reason, c) => {
    const request = c.request ?? REQUEST;
    const take = c.take ?? 1;
    const decision = decideAction({
      model: MODEL,
      fingerprint: fingerprintOf(MODEL, request, take),
      request,
      take,
      endpoint: c.endpoint ?? REAL,
      entry: c.entry,
      elsewhere: c.elsewhere ?? [],
      filesOf: c.files ?? (() => (c.intact === false ? 'missing' : 'here')),
      ...(c.keptElsewhere ? { keptElsewhere: c.keptElsewhere } : {}),
      now: NOW,
    });
    expect({ action: decision.action, reason: decision.reason }).toEqual({ action, reason });
  });

  it('every action has a row', () => {
    expect(new Set(CASES.map(([, action]) => action))).toEqual(
      new Set(['create', 'unchanged', 'replace', 'resume', 'retry', 'blocked', 'restore', 'regenerate']),
    );
  });

  it('only create, replace, retry and regenerate submit (and cost money); resume, restore, unchanged and blocked never do', () => {
    expect([...SUBMITTING].sort()).toEqual(['create', 'regenerate', 'replace', 'retry']);
  });

  it('names the take it concerns, and for a replace every field that changed', () => {
    const entry = renderedWith({ ...REQUEST, prompt: 'old words', duration: 6 });
    const d = decideAction({ model: MODEL, fingerprint: FP, request: REQUEST, take: 1, endpoint: REAL, entry, elsewhere: [], filesOf: () => 'here', now: NOW });
    expect(d).toMatchObject({ action: 'replace', takeN: 1 });
    expect(d.changes).toEqual([
      { field: 'duration', before: 6, after: 5 },
      { field: 'prompt', before: 'old words', after: REQUEST.prompt },
    ]);
  });
});
