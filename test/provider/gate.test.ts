import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, test } from 'vitest';
import { createClient } from '../../src/provider/index.js';

/**
 * docs/ARCHITECTURE.md "HTTP": at most 96 API requests of a client are in flight at once, fewer than the Agent's
 * 128 connections, so none waits for a connection inside the dispatcher with its deadline running (a submit given
 * up so would have an unknown outcome). Real loopback sockets: the server counts what it holds at once.
 */
describe('API requests in flight are bounded below the connection pool', () => {
  test('300 polls at once reach the server at most 96 at a time, and every one is answered', async () => {
    let open = 0;
    let peak = 0;
    const server = createServer((req, res) => {
      open++;
      peak = Math.max(peak, open);
      setTimeout(() => {
        open--;
        const id = /predictions\/([^/]+)\/result/.exec(req.url ?? '')?.[1] ?? 'x';
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ code: 200, message: 'success', data: { id, status: 'processing', outputs: [] } }));
      }, 20);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const client = createClient({ baseUrl: `http://127.0.0.1:${port}`, apiKey: 'k' });
      const answers = await Promise.all(Array.from({ length: 300 }, (_, i) => client.getResult(`p${i}`)));
      expect(answers.map((a) => a.id)).toEqual(Array.from({ length: 300 }, (_, i) => `p${i}`));
      expect(peak).toBeLessThanOrEqual(96);
      expect(peak).toBeGreaterThan(1);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
