import { describe, expect, it } from 'vitest';
import type { LockShot } from '../../src/lock/schema.js';
import type { VideoRequest } from '../../src/models.js';
import { decideAction, SUBMITTING, type Action } from '../../src/plan/diff.js';
import { fingerprintOf } from '../../src/plan/fingerprint.js';
import { DAY, lockShot, MODEL, NOW, REAL } from '../helpers/lock.js';

/**
 * Plan actions (docs/SPEC.md "Commands and exit codes"), decided per shot from its fingerprint and its lockfile
 * entry: create (never rendered), unchanged (completed, same fingerprint, output intact), replace (inputs changed),
 * resume (submitted, not finished: poll, never resubmit), retry (failed), blocked (failed on its input, and the
 * input is the same).
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

/** The lockfile entry of a shot last rendered with `before` (fingerprint and request as recorded then). */
const renderedWith = (before: VideoRequest, fields: Partial<Record<keyof LockShot, unknown>> = {}, take = 1, model = MODEL) =>
  lockShot({ fingerprint: fingerprintOf(model, before, take), request: before, take, model, ...fields });

const failed = (task_code: number | undefined, message: string, before = REQUEST) =>
  renderedWith(before, { status: 'failed', outputs: [], completed_at: undefined, error: { code: 'TASK_FAILED', task_code, message } });

interface Case {
  entry: LockShot | undefined;
  /** Planning for this endpoint (default: the real API). */
  endpoint?: string;
  /** Whether the recorded output files are on disk with their recorded sizes (default: yes). */
  intact?: boolean;
  /** The shot now (default: REQUEST, take 1). */
  request?: VideoRequest;
  take?: number;
}

const CASES: [name: string, action: Action, reason: string, c: Case][] = [
  ['no lockfile entry', 'create', 'never rendered', { entry: undefined }],
  [
    'rendered only on the mock',
    'create',
    'rendered only on the local mock server, never on https://api.wavespeed.ai',
    { entry: renderedWith(REQUEST, { endpoint: 'mock' }) },
  ],
  [
    'rendered only on the real API, planning for the mock',
    'create',
    'rendered only on https://api.wavespeed.ai, never on the local mock server',
    { entry: renderedWith(REQUEST), endpoint: 'mock' },
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
    'submit outcome unknown: settle by listing predictions before paying again',
    { entry: renderedWith(REQUEST, { status: 'submitting', prediction_id: undefined, outputs: [] }) },
  ],
  [
    'outcome unknown, no id',
    'resume',
    'submit outcome unknown: settle by listing predictions before paying again',
    { entry: renderedWith(REQUEST, { status: 'unknown', prediction_id: undefined, outputs: [] }) },
  ],
  [
    'completed a day ago, output file gone',
    'resume',
    'output file missing or changed: download it again (no new charge)',
    { entry: renderedWith(REQUEST), intact: false },
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
    'completed 8 days ago, output file gone (the server deleted its copy)',
    'replace',
    'output file missing and the server deleted its copy after 7 days: render again',
    { entry: renderedWith(REQUEST, { completed_at: new Date(NOW - 8 * DAY).toISOString() }), intact: false },
  ],
  [
    'completed, no completion time, output file gone',
    'replace',
    'output file missing and the server deleted its copy after 7 days: render again',
    { entry: renderedWith(REQUEST, { completed_at: undefined }), intact: false },
  ],
  [
    'the server deleted the output before it was downloaded',
    'replace',
    'the server deleted the output before it was downloaded: render again',
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
      outputsIntact: () => c.intact ?? true,
      now: NOW,
    });
    expect(decision).toEqual({ action, reason });
  });

  it('every action has a row', () => {
    expect(new Set(CASES.map(([, action]) => action))).toEqual(new Set(['create', 'unchanged', 'replace', 'resume', 'retry', 'blocked']));
  });

  it('only create, replace and retry submit (and cost money); resume, unchanged and blocked never do', () => {
    expect([...SUBMITTING].sort()).toEqual(['create', 'replace', 'retry']);
  });

  it('asks about the output files of the entry it judges', () => {
    const entry = renderedWith(REQUEST);
    const asked: unknown[] = [];
    const outputsIntact = (t: unknown) => {
      asked.push(t);
      return true;
    };
    decideAction({ model: MODEL, fingerprint: FP, request: REQUEST, take: 1, endpoint: REAL, entry, outputsIntact, now: NOW });
    expect(asked).toEqual([entry]);
  });
});
