import { describe, expect, it } from 'vitest';
import { RenderError } from '../../src/errors.js';
import { planSpec } from '../../src/plan/plan-spec.js';
import type { Prediction } from '../../src/provider/index.js';
import { makeWorkspace } from '../helpers/workspace.js';
import { applyOnFake as apply, FAKE_ENDPOINT, specOf } from './apply-on-fake.js';
import { createFakeServer, type FakeServer } from './fakes.js';

/**
 * Issue 9.2 at the unit level: a server whose list shows no `input` (as the API's documentation shows it; the
 * mock's mode for it is on its way). A lost submit is then settled only by time: the one unclaimed prediction of
 * the model in its window, fitting no other open intent. Anything less is not evidence, and render pays nothing
 * again on its own.
 */

const ENDPOINT = FAKE_ENDPOINT;
const MODEL = 'kwaivgi/kling-v3.0-4k/image-to-video';

/** A prediction another job on the same account made just now (same model, another input). */
function foreign(fake: FakeServer, id: string): void {
  const p: Prediction = {
    id,
    model: MODEL,
    status: 'completed',
    outputs: [],
    input: { prompt: 'another team’s job' },
    createdAt: new Date(fake.now()).toISOString(),
  };
  fake.predictions.set(id, p);
}

describe('a list without inputs', () => {
  it('two lost submits in one window: no prediction can be told apart, neither is settled, neither is sent again', async () => {
    const ws = makeWorkspace();
    const spec = specOf(ws, 3);
    const fake = createFakeServer();
    fake.listShowsInput = false;
    fake.onSubmit = (_b, n) => (n <= 2 ? 'lost' : 'ok');
    const { summary } = await apply(spec, fake);
    expect(fake.submits).toHaveLength(3);
    expect(summary.unknown.map((u) => u.id).sort()).toEqual(['s0', 's1']);
    expect(fake.lists).toBeGreaterThan(0);
    const { plan } = planSpec(spec, { endpoint: ENDPOINT });
    expect(plan.shots.map((s) => [s.id, s.action, s.costCents])).toEqual([
      ['s0', 'resume', 0],
      ['s1', 'resume', 0],
      ['s2', 'unchanged', 0],
    ]);
    expect(plan.totals.spentCents).toBe(3 * 210);
    // Another apply looks again and still cannot tell them apart: it pays for nothing.
    const again = await apply(spec, fake);
    expect(fake.submits).toHaveLength(3);
    // Both are still the user's to resolve (adopt or forget): the summary lists them, though an earlier run sent them.
    expect(again.summary.unknown.map((u) => u.id).sort()).toEqual(['s0', 's1']);
    expect(again.summary.failed.map((f) => [f.id, f.code])).toEqual([
      ['s0', 'UNKNOWN_OUTCOME'],
      ['s1', 'UNKNOWN_OUTCOME'],
    ]);
  });

  it("a lost submit and another job's prediction in its window: two candidates, not settled", async () => {
    const ws = makeWorkspace();
    const spec = specOf(ws, 1);
    const fake = createFakeServer();
    fake.listShowsInput = false;
    fake.onSubmit = () => {
      foreign(fake, 'pred-other-job');
      return 'lost';
    };
    const { summary } = await apply(spec, fake);
    expect(summary.unknown.map((u) => u.id)).toEqual(['s0']);
    expect(fake.submits).toHaveLength(1);
  });

  it('a submit the server never created: still not "never created" without a list that shows inputs', async () => {
    const ws = makeWorkspace();
    const spec = specOf(ws, 1);
    const fake = createFakeServer();
    fake.listShowsInput = false;
    fake.onSubmit = () => new RenderError('UNKNOWN_OUTCOME', 'connection cut before the server read it');
    const { summary } = await apply(spec, fake);
    expect(summary.unknown.map((u) => u.id)).toEqual(['s0']);
    expect(fake.submits).toHaveLength(1);
    expect(fake.predictions.size).toBe(0);
  });

  // KNOWN GAP (see the report of issue 9/10's e2e branch): "the only unclaimed prediction in the window" is
  // evidence by time alone. A submit the server never created, while another job on the same account created one
  // in that window, is settled as that job's prediction: the shot gets another job's video, and its own render is
  // never made. `it.fails` passes while the gap is there; remove `.fails` once it is closed.
  it.fails("a submit the server never created is never settled as another job's prediction (known gap)", async () => {
    const ws = makeWorkspace();
    const spec = specOf(ws, 1);
    const fake = createFakeServer();
    fake.listShowsInput = false;
    fake.onSubmit = () => {
      foreign(fake, 'pred-other-job');
      return new RenderError('UNKNOWN_OUTCOME', 'connection cut before the server read it');
    };
    const { lock } = await apply(spec, fake);
    const take = lock.endpoints[ENDPOINT]!.shots.s0!.takes[0]!;
    expect(take.prediction_id).not.toBe('pred-other-job');
  });
});
