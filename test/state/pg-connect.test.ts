import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { RenderError } from '../../src/errors.js';
import { connectState } from '../../src/lock/pg/connect.js';
import { expectExit, makeProject, render } from '../apply/helpers.js';

/**
 * Connecting to the state database (docs/ARCHITECTURE.md "Team state", "Connection errors"): a server that never
 * answers, or one that is not PostgreSQL, is an error like any other, with the database named (its password hidden)
 * and a hint, within the connect timeout. Loopback servers of this file stand in for them; no PostgreSQL is needed.
 */

let server: Server | undefined;
const sockets: Socket[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

/** A loopback server that does `onSocket` with each connection; its port. */
function listen(onSocket: (s: Socket) => void): Promise<number> {
  return new Promise((resolve, reject) => {
    server = createServer((s) => {
      sockets.push(s);
      onSocket(s);
    });
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server!.address() as { port: number }).port));
  });
}

async function connectError(port: number): Promise<RenderError> {
  const url = `postgres://render:hunter2-secret@127.0.0.1:${port}/render`;
  const err = await connectState({ url, from: 'RENDER_STATE_URL' }, { command: 'test', connectTimeoutMs: 300 }).then(
    () => new Error('connected'),
    (e: unknown) => e,
  );
  if (!(err instanceof RenderError)) throw err;
  expect(`${err.message} ${err.hint ?? ''}`).not.toContain('hunter2');
  return err;
}

describe('connecting to the state database', () => {
  it('a server that accepts and never answers is a timeout, with the database named and a hint', async () => {
    const port = await listen(() => undefined);
    const err = await connectError(port);
    expect(err.code).toBe('STATE_UNAVAILABLE');
    expect(err.message).toMatch(
      new RegExp(`^the state database postgres://render:\\*\\*\\*@127\\.0\\.0\\.1:${port}/render did not answer in time \\(connecting\\)`),
    );
    expect(err.hint).toMatch(/^check the network path to the database/);
  });

  it('a server that closes the connection at once (not PostgreSQL, or one that wants SSL) is named as such', async () => {
    const port = await listen((s) => s.end());
    const err = await connectError(port);
    expect(err.code).toBe('STATE_UNAVAILABLE');
    expect(err.message).toMatch(
      new RegExp(`^cannot reach the state database postgres://render:\\*\\*\\*@127\\.0\\.0\\.1:${port}/render: the server closed the connection`),
    );
    expect(err.hint).toMatch(/not another service\)\? does it require SSL \(add \?sslmode=require\)\?$/);
  });

  it('a database that refuses the connection is reported through the CLI with a hint, the password never shown', async () => {
    const p = makeProject({ shots: 1 });
    const port = await closedPort();
    const r = await render(['plan', p.spec], { cwd: p.dir, env: { RENDER_STATE_URL: `postgres://render:hunter2-secret@127.0.0.1:${port}/nowhere` } });
    expectExit(r, 1);
    expect(r.stderr).toContain(`error: cannot reach the state database postgres://render:***@127.0.0.1:${port}/nowhere: connection refused`);
    expect(r.stderr).toMatch(/hint: is PostgreSQL running/);
    expect(r.stderr).not.toContain('hunter2');
  });
});

/** A loopback port nothing listens on (bound, then released). */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}
