import { Agent, type Dispatcher } from 'undici';

/**
 * Every request goes through `globalThis.fetch` (looked up at call time, so nock 14 can intercept it in unit
 * tests) with one shared undici 7 Agent as dispatcher: keep-alive, a connection cap and coarse safety-net
 * timeouts. Precise deadlines are AbortSignal.timeout in the caller; retries live in our own code
 * (docs/ARCHITECTURE.md "HTTP").
 */
export type HttpInit = Omit<RequestInit, 'dispatcher'> & { dispatcher?: Dispatcher };

let sharedAgent: Agent | undefined;

function defaultAgent(): Agent {
  sharedAgent ??= new Agent({
    keepAliveTimeout: 10_000,
    connections: 128,
    headersTimeout: 60_000,
    bodyTimeout: 300_000,
    connect: { timeout: 10_000 },
  });
  return sharedAgent;
}

export function httpFetch(url: string | URL, init: HttpInit = {}): Promise<Response> {
  // The cast: @types/node 20 types `dispatcher` with undici-types 6; an undici 7 Agent works at run time.
  return fetch(url, { dispatcher: defaultAgent(), ...init } as unknown as RequestInit);
}
