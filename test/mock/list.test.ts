import { describe, expect, it } from 'vitest';
import { manualClock } from '../helpers/manual-clock.js';
import { I2V, T2V, client, i2vBody, result, startServer, submit, waitForEnd, type WirePrediction } from './helpers.js';

interface Page {
  page: number;
  total: number;
  items: WirePrediction[];
}

async function list(server: Awaited<ReturnType<typeof startServer>>, query: Record<string, unknown>) {
  const c = client(server);
  return c.json<Page>(c.post('/api/v3/predictions', query));
}

describe('mock server: POST /api/v3/predictions (history)', () => {
  it('lists newest first', async () => {
    const server = await startServer();
    const ids: string[] = [];
    for (const prompt of ['one', 'two', 'three']) ids.push((await submit(server, i2vBody({ prompt }))).id);
    const { status, body } = await list(server, { page: 1, page_size: 10 });
    expect(status).toBe(200);
    expect(body.data.total).toBe(3);
    expect(body.data.items.map((p) => p.id)).toEqual([...ids].reverse());
    expect(server.stats().lists).toBe(1);
  });

  it('pages with page and page_size, keeping total', async () => {
    const server = await startServer();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await submit(server)).id);
    const newest = [...ids].reverse();
    const page2 = (await list(server, { page: 2, page_size: 2 })).body.data;
    expect(page2).toMatchObject({ page: 2, total: 5 });
    expect(page2.items.map((p) => p.id)).toEqual(newest.slice(2, 4));
    expect((await list(server, { page: 4, page_size: 2 })).body.data.items).toEqual([]);
  });

  it('filters by model and status', async () => {
    const server = await startServer();
    const video = await submit(server);
    await submit(server, { prompt: 'sea' }, T2V);
    const failing = await submit(server, i2vBody({ image: `${server.url}/files/media/missing/x.png` }));
    await waitForEnd(server, video.id);
    await waitForEnd(server, failing.id);
    const byModel = (await list(server, { page: 1, page_size: 100, model: T2V })).body.data;
    expect(byModel.items.map((p) => p.model)).toEqual([T2V]);
    const failed = (await list(server, { page: 1, page_size: 100, status: 'failed' })).body.data;
    expect(failed.items.map((p) => p.id)).toEqual([failing.id]);
    expect((await list(server, { page: 1, page_size: 100, model: I2V, status: 'completed' })).body.data.total).toBe(1);
  });

  it('filters by created_after and created_before (ISO times, inclusive)', async () => {
    const clock = manualClock();
    const server = await startServer({ clock });
    const a = await submit(server);
    clock.advance(30);
    const b = await submit(server);
    clock.advance(30);
    const c = await submit(server);
    const window = { page: 1, page_size: 100, created_after: b.created_at, created_before: b.created_at };
    expect((await list(server, window)).body.data.items.map((p) => p.id)).toEqual([b.id]);
    const after = (await list(server, { page: 1, page_size: 100, created_after: b.created_at })).body.data;
    expect(after.items.map((p) => p.id)).toEqual([c.id, b.id]);
    const before = (await list(server, { page: 1, page_size: 100, created_before: b.created_at })).body.data;
    expect(before.items.map((p) => p.id)).toEqual([b.id, a.id]);
  });

  it('reaches back 7 days on its clock, as the real history does', async () => {
    const clock = manualClock();
    const server = await startServer({ clock });
    const old = await submit(server, i2vBody({ prompt: 'old' }));
    clock.advance(7 * 24 * 3600 * 1000);
    const recent = await submit(server, i2vBody({ prompt: 'recent' }));
    expect((await list(server, { page: 1, page_size: 10 })).body.data.items.map((p) => p.id)).toEqual([recent.id, old.id]);
    clock.advance(1);
    expect((await list(server, { page: 1, page_size: 10, created_after: old.created_at })).body.data.items.map((p) => p.id)).toEqual([recent.id]);
  });

  it('shows a prediction only listLagMs after its creation; its result is there at once', async () => {
    const clock = manualClock();
    const server = await startServer({ clock, listLagMs: 5_000 });
    const first = await submit(server, i2vBody({ prompt: 'first' }));
    expect(await list(server, { page: 1, page_size: 10 })).toMatchObject({ body: { data: { total: 0, items: [] } } });
    expect((await result(server, first.id)).id).toBe(first.id);
    clock.advance(2_000);
    const second = await submit(server, i2vBody({ prompt: 'second' }));
    clock.advance(2_999);
    expect((await list(server, { page: 1, page_size: 10 })).body.data.total).toBe(0);
    clock.advance(1);
    expect((await list(server, { page: 1, page_size: 10 })).body.data.items.map((p) => p.id)).toEqual([first.id]);
    // Filters see only what is visible: a window around the second finds nothing until it has lagged too.
    const around = { page: 1, page_size: 10, created_after: second.created_at, created_before: second.created_at };
    expect((await list(server, around)).body.data.items).toEqual([]);
    clock.advance(2_000);
    expect((await list(server, around)).body.data.items.map((p) => p.id)).toEqual([second.id]);
    expect((await list(server, { page: 1, page_size: 10 })).body.data.total).toBe(2);
  });

  it.each([
    [{ page: 1, page_size: 0 }, 'page_size must be an integer from 1 to 100, got 0'],
    [{ page: 1, page_size: 101 }, 'page_size must be an integer from 1 to 100, got 101'],
    [{ page: 0, page_size: 10 }, 'page must be an integer from 1'],
    [{ page: 1, page_size: 10, created_after: 'yesterday' }, 'created_after must be an ISO 8601 time, got "yesterday"'],
  ])('answers 400 to %j', async (query, message) => {
    const server = await startServer();
    const { status, body } = await list(server, query);
    expect(status).toBe(400);
    expect(body.message).toContain(message);
  });
});
