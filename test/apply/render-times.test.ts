import { describe, expect, it } from 'vitest';
import { apply, expectExit, expectVerifiedOutputs, makeProject, mockServer, readLock, takesOf } from './helpers.js';

/**
 * Polling that learns, against the local server (docs/ARCHITECTURE.md "Polling"): every completed take keeps the
 * server's own render time, which is what the next apply of the campaign starts from.
 */
describe('render times are kept for the next apply', () => {
  it("each completed take records the server's timings.inference as render_ms", async () => {
    const server = await mockServer({ renderTime: { baseMs: 60, perSecondMs: 20, jitter: 0.1 } });
    const p = makeProject({ shots: 3 });
    expectExit(await apply(p, server), 0);
    const lock = expectVerifiedOutputs(p);
    const listed = await fetch(`${server.url}/api/v3/predictions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ page: 1, page_size: 100 }),
    });
    const items = ((await listed.json()) as { data: { items: { id: string; timings: { inference: number } }[] } }).data.items;
    const inference = new Map(items.map((i) => [i.id, i.timings.inference]));
    for (const id of p.ids()) {
      const [take] = takesOf(lock, id);
      expect(take?.render_ms).toBe(inference.get(take?.prediction_id ?? ''));
    }
  });

  it('an apply that has learned render times still renders every shot once, nothing paid twice', async () => {
    const server = await mockServer({ renderTime: { baseMs: 60, perSecondMs: 20, jitter: 0.1 } });
    const p = makeProject({ shots: 4 });
    expectExit(await apply(p, server, ['--only', `${p.ids()[0]},${p.ids()[1]}`]), 0);
    expectExit(await apply(p, server), 0);
    expect(server.stats()).toMatchObject({ submissions: 4, duplicateSubmissions: 0 });
    expect(Object.keys(readLock(p).endpoints).length).toBe(1);
    expectVerifiedOutputs(p);
  });
});
