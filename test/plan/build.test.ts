import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Lockfile } from '../../src/lock/schema.js';
import { spentCents } from '../../src/lock/takes.js';
import { buildPlan, type BuildPlanInput } from '../../src/plan/build.js';
import { validateSpec } from '../../src/plan/plan-spec.js';
import { lockShot, lockTake, lockWith, NOW, REAL } from '../helpers/lock.js';
import { makeWorkspace, SPEC_HEAD } from '../helpers/workspace.js';

/** buildPlan: pure planning over a validated spec, a lockfile and the sizes of output files. */

const ws = makeWorkspace();
const specFile = ws.spec(`${SPEC_HEAD}shots:
  - { id: done, image: img/ok.png, prompt: rendered before, duration: 5 }
  - { id: flying, image: img/ok.png, prompt: submitted before, duration: 6 }
  - { id: refused, image: img/ok.png, prompt: refused before, duration: 7 }
  - { id: fresh, image: img/ok.png, prompt: never rendered, duration: 8 }
`);
const valid = validateSpec(specFile);

function plan(lock: Lockfile, extra: Partial<BuildPlanInput> = {}) {
  return buildPlan({
    specFile: valid.loaded.file,
    spec: valid.spec,
    shots: valid.shots,
    images: valid.images,
    lock,
    endpoint: REAL,
    now: NOW,
    fileSize: () => 1000,
    ...extra,
  });
}

/** A lockfile in which each shot but `fresh` was taken as far as its name says. */
function history(): Lockfile {
  const first = plan(lockWith({}));
  const recorded = (id: string, fields: Parameters<typeof lockTake>[0]) => {
    const s = first.shots.find((x) => x.id === id)!;
    return lockShot([
      lockTake({
        fingerprint: s.fingerprint,
        request: s.contentRequest as unknown as Record<string, unknown>,
        duration: s.duration,
        cost_cents: s.costCents,
        ...fields,
      }),
    ]);
  };
  return lockWith({
    done: recorded('done', { outputs: [{ url: 'https://cdn.example.com/p.mp4', path: 'renders/test/done.mp4', sha256: 'a'.repeat(64), bytes: 1000 }] }),
    flying: recorded('flying', { status: 'processing', outputs: [], completed_at: undefined }),
    refused: recorded('refused', { status: 'failed', outputs: [], error: { code: 'MODERATION', task_code: 1200, message: 'flagged' } }),
  });
}

describe('buildPlan', () => {
  it('with no lockfile creates every shot at its full price', () => {
    const p = plan(lockWith({}));
    expect(p.shots.map((s) => [s.id, s.action, s.costCents])).toEqual([
      ['done', 'create', 210],
      ['flying', 'create', 252],
      ['refused', 'create', 294],
      ['fresh', 'create', 336],
    ]);
    expect(p.totals).toMatchObject({ shots: 4, toSubmit: 4, costCents: 1092, spentCents: 0, budgetCents: 10_000, afterApplyCents: 1092, overBudgetCents: 0 });
  });

  it('charges only what submits: resume, unchanged and blocked cost nothing', () => {
    const p = plan(history());
    expect(p.shots.map((s) => [s.id, s.action, s.costCents])).toEqual([
      ['done', 'unchanged', 0],
      ['flying', 'resume', 0],
      ['refused', 'blocked', 0],
      ['fresh', 'create', 336],
    ]);
    // spent: done (210) and flying (252) were paid; the failed one was refunded.
    expect(p.totals).toMatchObject({ toSubmit: 1, costCents: 336, spentCents: 462, afterApplyCents: 798 });
  });

  it('sees an output file of the wrong size as not intact', () => {
    const p = plan(history(), { fileSize: (abs) => (abs.endsWith('done.mp4') ? 999 : 1000) });
    expect(p.shots.find((s) => s.id === 'done')?.action).toBe('restore');
  });

  it('counts spending already recorded against the budget: over it, by how much', () => {
    const lock = history();
    lock.endpoints[REAL]!.shots.done!.takes.unshift(lockTake({ n: 9, cost_cents: 9_600 }));
    const p = plan(lock);
    expect(p.totals).toMatchObject({ spentCents: 10_062, costCents: 336, afterApplyCents: 10_398, budgetCents: 10_000, overBudgetCents: 398 });
  });

  it('--only leaves the other shots out of the plan and the cost', () => {
    const p = plan(lockWith({}), { select: (id) => id === 'fresh' });
    expect(p.shots.map((s) => s.id)).toEqual(['fresh']);
    expect(p.totals).toMatchObject({ shots: 1, costCents: 336 });
  });

  it('--max-cost: over when this run alone passes it, even within the budget', () => {
    expect(plan(lockWith({}), { maxRunCents: 1091 }).totals.overBudgetCents).toBe(1);
    expect(plan(lockWith({}), { maxRunCents: 1092 }).totals.overBudgetCents).toBe(0);
  });

  it('puts each output at <output>/<shot id>.mp4, by default renders/<name> beside the spec', () => {
    const p = plan(lockWith({}));
    expect(p.outputDir).toBe(path.join(ws.dir, 'renders', 'test'));
    expect(p.shots[0]!.output).toBe(path.join(ws.dir, 'renders', 'test', 'done.mp4'));
  });
});

describe('spentCents', () => {
  it('adds every take not refunded or forgotten, on every real endpoint; the mock server counts apart', () => {
    const lock = lockWith({
      a: lockShot([lockTake({ cost_cents: 252 }), lockTake({ cost_cents: 294, status: 'failed' }), lockTake({ cost_cents: 210 })]),
      b: lockShot([lockTake({ cost_cents: 126, status: 'submitted' }), lockTake({ cost_cents: 126, status: 'unknown', prediction_id: undefined })]),
      c: lockShot([lockTake({ cost_cents: 999, status: 'forgotten', prediction_id: undefined })]),
    });
    lock.endpoints['http://127.0.0.1:8787'] = { shots: { d: lockShot([lockTake({ cost_cents: 42 })]) }, uploads: {} };
    lock.endpoints.mock = { shots: { a: lockShot([lockTake({ cost_cents: 630 })]) }, uploads: {} };
    expect(spentCents(lock, REAL)).toBe(252 + 210 + 126 + 126 + 42);
    expect(spentCents(lock, 'http://127.0.0.1:8787')).toBe(252 + 210 + 126 + 126 + 42);
    expect(spentCents(lock, 'mock')).toBe(630);
  });
});
