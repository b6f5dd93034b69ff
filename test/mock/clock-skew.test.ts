import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { manualClock } from '../helpers/manual-clock.js';
import { I2V, client, i2vBody, listPage, startServer, submit } from './helpers.js';

const TEN_MINUTES = 10 * 60_000;
const DAY = 24 * 3600_000;

describe('mock server: a server clock ahead of or behind ours (clockSkewMs)', () => {
  it.each([
    ['ahead', TEN_MINUTES],
    ['behind', -TEN_MINUTES],
  ])('%s: created_at and the Date header of every response follow the server clock', async (_label, skew) => {
    const clock = manualClock();
    const server = await startServer({ clock, clockSkewMs: skew });
    const serverNow = () => clock.now() + skew;
    const c = client(server);
    const p = await submit(server);
    expect(p.created_at).toBe(new Date(serverNow()).toISOString());
    clock.advance(1_500);
    const date = new Date(serverNow()).toUTCString();
    const responses = [
      c.post(`/api/v3/${I2V}`, i2vBody()),
      c.get(`/api/v3/predictions/${p.id}/result`),
      c.post('/api/v3/predictions', { page: 1, page_size: 1 }),
      c.post('/api/v3/billings/search', { page: 1, page_size: 1 }),
      c.get('/api/v3/balance'),
      c.get('/api/v3/predictions/nope/result'), // 404
      client(server, null).get('/api/v3/balance'), // 401
      fetch(`${server.url}/no/such/path`),
      fetch(`${server.url}/__mock/stats`),
      fetch(`${server.url}/files/outputs/${p.id}.mp4`),
    ];
    for (const res of await Promise.all(responses)) expect(res.headers.get('date')).toBe(date);
  });

  it('dates the 400 to a request Node cannot parse from the server clock too', async () => {
    const clock = manualClock();
    const server = await startServer({ clock, clockSkewMs: -TEN_MINUTES });
    const raw = await new Promise<string>((resolve, reject) => {
      let text = '';
      const socket = connect(server.port, '127.0.0.1', () => socket.write('NOT HTTP AT ALL\r\n\r\n'));
      socket.on('data', (chunk) => (text += chunk.toString()));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    expect(raw.split('\r\n')).toEqual(expect.arrayContaining(['HTTP/1.1 400 Bad Request', `Date: ${new Date(clock.now() - TEN_MINUTES).toUTCString()}`]));
  });

  it('interprets created_after / created_before on the server clock', async () => {
    const clock = manualClock();
    const server = await startServer({ clock, clockSkewMs: TEN_MINUTES });
    const { id } = await submit(server);
    const ours = new Date(clock.now()).toISOString();
    const theirs = new Date(clock.now() + TEN_MINUTES).toISOString();
    // A window read on our clock ends 10 minutes before the prediction was created on theirs.
    expect((await listPage(server, { page: 1, page_size: 10, created_before: ours })).items).toEqual([]);
    expect((await listPage(server, { page: 1, page_size: 10, created_after: ours })).items.map((p) => p.id)).toEqual([id]);
    expect((await listPage(server, { page: 1, page_size: 10, created_before: theirs })).items.map((p) => p.id)).toEqual([id]);
  });

  it('ends the 7-day list and billing windows 7 days after created_at on the server clock, not on ours', async () => {
    const clock = manualClock();
    const server = await startServer({ clock, clockSkewMs: TEN_MINUTES });
    const c = client(server);
    await submit(server);
    const billed = async () => (await c.json<{ items: unknown[] }>(c.post('/api/v3/billings/search', { page: 1, page_size: 10 }))).body.data.items.length;
    clock.advance(7 * DAY);
    expect([(await listPage(server)).total, await billed()]).toEqual([1, 1]);
    // A window on our clock would keep it 10 more minutes.
    clock.advance(1);
    expect([(await listPage(server)).total, await billed()]).toEqual([0, 0]);
  });
});
