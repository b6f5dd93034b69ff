import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { adoptPrediction } from '../../src/apply/resolve.js';
import { readJournal } from '../../src/lock/journal.js';
import { runApply } from '../../src/apply/run.js';
import type { Lockfile } from '../../src/lock/schema.js';
import { journalPath, LockStore } from '../../src/lock/store.js';
import { RenderError } from '../../src/errors.js';
import { planSpec } from '../../src/plan/plan-spec.js';
import { makeWorkspace } from '../helpers/workspace.js';
import { applyOnFake as apply, specOf } from './apply-on-fake.js';
import { createFakeServer, type FakeServer } from './fakes.js';

describe('money rule 2: write-ahead intent', () => {
  it('the intent is durable on disk before the submit POST is sent', async () => {
    const ws = makeWorkspace();
    const spec = specOf(ws, 1);
    const fake = createFakeServer();
    let seenAtSubmit: string[] = [];
    fake.onSubmit = () => {
      seenAtSubmit = readJournal(journalPath(spec, 'test')).map((r) => r.rec.t);
      return 'ok';
    };
    await apply(spec, fake);
    expect(seenAtSubmit).toContain('intent');
  });

  it('an intent without a prediction id is settled by listing, and never submitted again', async () => {
    const ws = makeWorkspace();
    const spec = specOf(ws, 2);
    const fake = createFakeServer();
    fake.onSubmit = (_b, n) => (n === 1 ? 'lost' : 'ok');
    const { summary } = await apply(spec, fake);
    expect(summary.done).toBe(2);
    expect(fake.submits).toHaveLength(2); // the lost one was found by listing, not sent again
    expect(fake.lists).toBeGreaterThan(0);
    const lock = JSON.parse(readFileSync(ws.path('test.lock.json'), 'utf8')) as Lockfile;
    const shots = Object.values(lock.endpoints['http://fake.test']!.shots);
    // Which of the two submits went first (and was lost) is the scheduler's business; one of each.
    const takes = shots.map((s) => s.takes.map((t) => [t.status, t.settled_by ?? 'answer']));
    expect(takes.sort()).toEqual([[['completed', 'answer']], [['completed', 'list']]]);
  });
});

describe('money rule 3: a submit POST is never retried automatically', () => {
  it("a list without inputs: the one unclaimed prediction in the lost submit's time window settles it", async () => {
    const ws = makeWorkspace();
    const spec = specOf(ws, 1);
    const fake = createFakeServer();
    fake.listShowsInput = false;
    fake.onSubmit = () => 'lost';
    const { summary } = await apply(spec, fake);
    expect(fake.submits).toHaveLength(1);
    expect(summary.done).toBe(1);
  });

  it('absence is not evidence: a submit the server never saw stays outcome unknown, counted as spent, never sent again', async () => {
    const ws = makeWorkspace();
    const spec = specOf(ws, 1);
    const fake = createFakeServer();
    fake.onSubmit = () => new RenderError('UNKNOWN_OUTCOME', 'dropped before the server saw it');
    const { summary } = await apply(spec, fake);
    expect(fake.submits).toHaveLength(1);
    expect(summary.unknown).toEqual([{ id: 's0', take: 1, costCents: 210 }]);
    expect(summary.failed.map((f) => f.code)).toEqual(['UNKNOWN_OUTCOME']);
    // The next plan resumes (settles) it at no new cost; it never proposes to pay for it again.
    const { plan } = planSpec(spec, { endpoint: 'http://fake.test' });
    expect(plan.shots[0]).toMatchObject({ action: 'resume', costCents: 0 });
    expect(plan.totals.spentCents).toBe(210);
    await apply(spec, fake);
    expect(fake.submits).toHaveLength(1);
  });

  it('a 429 on submit is a refusal: the same body is sent again after Retry-After', async () => {
    const ws = makeWorkspace();
    const spec = specOf(ws, 1);
    const fake = createFakeServer();
    const waits: number[] = [];
    let clock = Date.now();
    fake.onSubmit = (_b, n) => (n < 3 ? new RenderError('RATE_LIMITED', 'slow down', { retryAfterMs: 1500 }) : 'ok');
    const sleep = async (ms: number) => {
      waits.push(ms);
      clock += ms;
    };
    const { summary } = await apply(spec, fake, { now: () => clock, sleep });
    expect(summary.done).toBe(1);
    expect(fake.submits).toHaveLength(3);
    expect(waits).toEqual([1500, 1500]);
    expect(fake.predictions.size).toBe(1);
  });
});

describe('money rule 4: reserve before you spend', () => {
  it('concurrent submits never pass the cap: $5 of budget left buys two $2.10 shots, not three', async () => {
    const ws = makeWorkspace();
    const spec = specOf(ws, 5);
    const fake = createFakeServer();
    const { plan } = planSpec(spec, { endpoint: 'http://fake.test' });
    // The plan itself fits the $100 budget; a --max-cost of $5 caps this run at runtime.
    plan.totals.maxRunCents = 500;
    const store = new LockStore(spec, plan.name);
    const summary = await runApply({ plan, store, client: fake.client, emit: () => undefined, concurrency: 5, sleep: async () => undefined });
    await store.close();
    expect(fake.submits).toHaveLength(2);
    expect(summary.spentCents).toBe(420);
    expect(summary.skipped).toHaveLength(3);
  });

  it('insufficient balance stops every further submit', async () => {
    const ws = makeWorkspace();
    const spec = specOf(ws, 6);
    const fake = createFakeServer();
    fake.onSubmit = (_b, n) => (n >= 2 ? new RenderError('INSUFFICIENT_BALANCE', 'Insufficient balance') : 'ok');
    const { summary } = await apply(spec, fake, { concurrency: 1 });
    expect(fake.submits).toHaveLength(2);
    expect(summary.done).toBe(1);
    expect(summary.skipped.length + summary.failed.length).toBe(5);
  });
});

describe('money rule 7: Ctrl-C', () => {
  it('the first stop lets in-flight shots finish and be recorded, and starts no new submit', async () => {
    const ws = makeWorkspace();
    const spec = specOf(ws, 6);
    const fake = createFakeServer();
    const stop = new AbortController();
    fake.onSubmit = (_b, n) => {
      if (n === 1) stop.abort();
      return 'ok';
    };
    const { summary } = await apply(spec, fake, { concurrency: 1, stopSignal: stop.signal });
    expect(fake.submits).toHaveLength(1);
    expect(summary.done).toBe(1);
    expect(summary.interrupted).toBe(true);
    expect(summary.skipped).toHaveLength(5);
  });
});

describe('failed predictions', () => {
  it('a failure does not stop the others, and is recorded with its task code', async () => {
    const ws = makeWorkspace();
    const spec = specOf(ws, 3);
    const fake = createFakeServer();
    fake.finalStatus = (id) => (id === 'pred-2' ? { status: 'failed', taskCode: 5000, error: '5000: internal error' } : { status: 'completed' });
    const { summary, store } = await apply(spec, fake, { concurrency: 1 });
    expect(summary.done).toBe(2);
    expect(summary.failed).toHaveLength(1);
    const failed = Object.values(store.lock.endpoints['http://fake.test']!.shots)
      .flatMap((s) => s.takes)
      .find((t) => t.status === 'failed');
    expect(failed?.error).toMatchObject({ task_code: 5000 });
    const { plan } = planSpec(spec, { endpoint: 'http://fake.test' });
    expect(plan.shots.find((s) => s.action !== 'unchanged')).toMatchObject({ action: 'retry', costCents: 210 });
    // Refunded: a failed take is not counted as spent.
    expect(plan.totals.spentCents).toBe(420);
  });
});

describe('settling a lost submit waits from when the request was given up', () => {
  it('a server may still create the prediction after the client timed out: the wait counts from the give-up', async () => {
    const ws = makeWorkspace();
    const spec = specOf(ws, 1);
    const fake = createFakeServer();
    let clock = Date.parse('2026-11-24T10:00:00Z');
    fake.now = () => clock;
    const waits: number[] = [];
    fake.onSubmit = () => {
      clock += 5000; // the request hung for 5 s before the client gave up
      return 'lost';
    };
    await apply(spec, fake, { now: () => clock, settleAfterMs: 2000, sleep: async (ms) => void waits.push(ms) });
    expect(waits).toEqual([2000]);
  });
});

describe('a 1402 (the server could not fetch an uploaded image)', () => {
  it('makes the next apply upload the image afresh instead of sending the dead URL again', async () => {
    const ws = makeWorkspace();
    const spec = specOf(ws, 1);
    const fake = createFakeServer();
    fake.finalStatus = (id) => (id === 'pred-1' ? { status: 'failed', taskCode: 1402, error: '1402: media URL not fetchable' } : { status: 'completed' });
    await apply(spec, fake);
    expect(fake.uploads).toBe(1);
    const { summary } = await apply(spec, fake);
    expect(summary.done).toBe(1);
    expect(fake.uploads).toBe(2);
    expect(fake.submits[1]?.body.image).not.toBe(fake.submits[0]?.body.image);
  });

  it('learned when the user adopts a lost submit, it also makes the next apply upload the image afresh', async () => {
    const ws = makeWorkspace();
    const spec = specOf(ws, 1);
    const fake = createFakeServer();
    fake.onSubmit = (_body, n) => (n === 1 ? 'lost' : 'ok');
    fake.client.listPredictions = async () => ({ page: 1, items: [] }); // the list never shows it: the outcome stays unknown
    fake.finalStatus = (id) => (id === 'pred-1' ? { status: 'failed', taskCode: 1402, error: '1402: media URL not fetchable' } : { status: 'completed' });
    const first = await apply(spec, fake);
    expect(first.summary.unknown).toHaveLength(1);

    await adoptPrediction({ spec, shot: 's0', endpoint: 'http://fake.test', predictionId: 'pred-1', client: fake.client });
    const { summary } = await apply(spec, fake);
    expect(summary.done).toBe(1);
    expect(fake.uploads).toBe(2);
    expect(fake.submits[1]?.body.image).not.toBe(fake.submits[0]?.body.image);
  });
});

describe('a 404 on a paid output (issue 9: one transient 404 paid the shot again)', () => {
  function notFoundFor(fake: FakeServer, times: number): { tries: number } {
    const seen = { tries: 0 };
    const real = fake.client.download.bind(fake.client);
    fake.client.download = async (url, dest, opts) => {
      if (++seen.tries <= times) throw new RenderError('NOT_FOUND', `download ${url}: 404 not found`);
      return real(url, dest, opts);
    };
    return seen;
  }

  it('that passes is ridden out: the video is downloaded, nothing is marked gone, nothing is paid again', async () => {
    const ws = makeWorkspace();
    const spec = specOf(ws, 1);
    const fake = createFakeServer();
    const seen = notFoundFor(fake, 2);
    const waits: number[] = [];
    const { summary, store } = await apply(spec, fake, { sleep: async (ms) => void waits.push(ms) });
    expect(summary.done).toBe(1);
    expect(seen.tries).toBe(3);
    expect(waits.filter((ms) => ms > 0)).toHaveLength(2); // asked again a poll's wait apart, not at once
    expect(store.lock.endpoints['http://fake.test']!.shots.s0!.takes[0]!.error).toBeUndefined();
    expect(existsSync(ws.path('renders/test/s0.mp4'))).toBe(true);
    const { plan } = planSpec(spec, { endpoint: 'http://fake.test' });
    expect(plan.shots[0]!.action).toBe('unchanged');
    expect(fake.submits).toHaveLength(1);
  });

  it('that lasts is recorded as gone, still counted as paid, and only then planned regenerate', async () => {
    const ws = makeWorkspace();
    const spec = specOf(ws, 1);
    const fake = createFakeServer();
    const seen = notFoundFor(fake, 3);
    const { summary, store } = await apply(spec, fake);
    expect(seen.tries).toBe(3);
    expect(summary.failed).toHaveLength(1);
    expect(store.lock.endpoints['http://fake.test']!.shots.s0!.takes[0]).toMatchObject({ status: 'completed', error: { code: 'OUTPUT_GONE' } });
    const { plan } = planSpec(spec, { endpoint: 'http://fake.test' });
    expect(plan.shots[0]).toMatchObject({ action: 'regenerate', costCents: 210 });
    expect(plan.totals.spentCents).toBe(210);
  });
});

describe('money rule 5: a downloaded output is verified before it takes its name', () => {
  it('a body that is not an MP4 never reaches the output path; the paid prediction stays recorded for a re-download', async () => {
    const ws = makeWorkspace();
    const spec = specOf(ws, 1);
    const fake = createFakeServer();
    fake.outputBytes = Buffer.from('<html>502 Bad Gateway</html>');
    const { summary, store } = await apply(spec, fake);
    expect(summary.failed.map((f) => f.code)).toEqual(['DOWNLOAD_FAILED']);
    expect(existsSync(ws.path('renders/test/s0.mp4'))).toBe(false);
    expect(store.lock.endpoints['http://fake.test']!.shots.s0!.takes[0]).toMatchObject({ status: 'completed', prediction_id: 'pred-1', outputs: [] });
    const { plan } = planSpec(spec, { endpoint: 'http://fake.test' });
    expect(plan.shots[0]).toMatchObject({ action: 'restore', costCents: 0 });
  });
});
