import { describe, expect, it } from 'vitest';
import { submitOrder } from '../../src/apply/order.js';
import { RenderModel } from '../../src/apply/render-model.js';
import type { PlannedShot } from '../../src/plan/build.js';
import { apply, dashboard, expectExit, makeProject, mockServer } from './helpers.js';

const MODEL = 'kwaivgi/kling-v3.0-4k/image-to-video';

/** A planned shot with what the order looks at: its action, duration and request. */
function shot(id: string, duration: number, action = 'submit', request: Record<string, unknown> = { image: 'sha256:a', prompt: id }): PlannedShot {
  return { id, action, duration, contentRequest: { duration, ...request } } as unknown as PlannedShot;
}

const ids = (shots: PlannedShot[]) => shots.map((s) => s.id);

describe('the order apply takes up its shots in', () => {
  it('takes the longest first while nothing is known, the spec order among equal durations, and resumes before all', () => {
    const shots = [shot('a', 3), shot('b', 10), shot('c', 5), shot('r', 3, 'resume'), shot('d', 10), shot('e', 15)];
    expect(ids(submitOrder(shots, MODEL, new RenderModel()))).toEqual(['r', 'e', 'b', 'd', 'c', 'a']);
  });

  it("goes by the model's expected render time once it knows one: a slower kind of shot before a longer one", () => {
    const model = new RenderModel();
    model.observe({ model: MODEL, kind: 'i2v', duration: 5 }, 5_000);
    model.observe({ model: MODEL, kind: 'i2v+sound', duration: 5 }, 15_000);
    const shots = [shot('plain', 10), shot('sound', 5, 'submit', { image: 'sha256:a', prompt: 's', sound: true })];
    expect(ids(submitOrder(shots, MODEL, model))).toEqual(['sound', 'plain']);
  });
});

describe('render apply submits in that order', () => {
  it('with one slot, the server sees the longest shot submitted first and the shortest last', async () => {
    const server = await mockServer();
    const p = makeProject({ shots: 3, concurrency: 1 });
    [3, 10, 5].forEach((d, i) => {
      const s = p.shots[i];
      if (s) s.duration = d;
    });
    p.writeSpec();
    expectExit(await apply(p, server), 0);
    const newestFirst = await dashboard(server);
    expect(newestFirst.map((x) => x.input.duration).reverse()).toEqual([10, 5, 3]);
  });
});
