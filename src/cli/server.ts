import { RenderError } from '../errors.js';
import { DEFAULT_BASE_URL } from '../endpoint.js';
import type { MockServer } from '../mock/index.js';
import { createClient, type WaveSpeedClient } from '../provider/index.js';
import type { CliIO } from './command.js';
import { endpointOf } from './options.js';

/** The server a read-only command talks to: the configured one, or the embedded mock server for `--mock`. */
export interface Connection {
  client: WaveSpeedClient;
  /** The endpoint identity the lockfile uses for it (`mock` for the embedded server). */
  endpoint: string;
  /** Set for `--mock`: the embedded server, stopped by `close`. */
  mock?: MockServer;
  close(): Promise<void>;
}

/**
 * Both settings come from io.env, never process.env (createClient's fallback when one is absent): a command run in a
 * test process sees only the environment it was given.
 */
export async function connect(io: CliIO, o: { mock?: boolean; requestTimeoutMs?: number } = {}): Promise<Connection> {
  if (o.mock) {
    const mock = await (await import('../mock/index.js')).startMockServer();
    const client = createClient({ baseUrl: mock.url, apiKey: mock.apiKey, requestTimeoutMs: o.requestTimeoutMs });
    return { client, endpoint: endpointOf(true, io.env), mock, close: () => mock.close() };
  }
  const client = createClient({
    apiKey: io.env.WAVESPEED_API_KEY ?? '',
    baseUrl: io.env.WAVESPEED_BASE_URL || DEFAULT_BASE_URL,
    requestTimeoutMs: o.requestTimeoutMs,
  });
  return { client, endpoint: endpointOf(false, io.env), close: async () => {} };
}

/** A command that needs the key, asked without one: say so before any request. */
export function requireKey(io: CliIO, what: string): void {
  if (!io.env.WAVESPEED_API_KEY) {
    throw new RenderError('AUTH', `WAVESPEED_API_KEY is not set: ${what}`, {
      hint: 'export WAVESPEED_API_KEY=... (or try it on the embedded server with --mock)',
    });
  }
}
