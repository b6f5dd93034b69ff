import { createServer, type Server } from 'node:http';
import net from 'node:net';
import tls from 'node:tls';

/**
 * The network tripwire: a loopback server that counts every request it gets (WAVESPEED_BASE_URL points at it),
 * plus a record of every outgoing fetch and socket, whatever the host (the real API included).
 */
export interface Tripwire {
  url: string;
  /** Requests the loopback server received. */
  requests: string[];
  /** Outgoing fetch calls and socket connects, to any host. */
  outgoing: string[];
  reset(): void;
  close(): Promise<void>;
}

export async function startTripwire(): Promise<Tripwire> {
  const requests: string[] = [];
  const outgoing: string[] = [];
  const server: Server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    res.writeHead(500, { 'content-type': 'application/json' }).end('{"code":500,"message":"the corpus tripwire: no request may reach the API"}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;

  const url = `http://127.0.0.1:${port}`;
  const realFetch = globalThis.fetch;
  globalThis.fetch = ((input: Parameters<typeof fetch>[0], init?: RequestInit) => {
    const target = input instanceof Request ? input.url : String(input);
    outgoing.push(`fetch ${target}`);
    // Recorded either way; only the loopback tripwire is actually reached (never the real API, sentinel key or not).
    if (!target.startsWith(`${url}/`)) return Promise.reject(new TypeError(`fetch failed: the corpus tripwire blocks ${target}`));
    return realFetch(input, init);
  }) as typeof fetch;
  const realNet = net.connect;
  const realTls = tls.connect;
  net.connect = ((...args: unknown[]) => {
    outgoing.push(`net.connect ${describeTarget(args[0])}`);
    return (realNet as (...a: unknown[]) => net.Socket)(...args);
  }) as typeof net.connect;
  tls.connect = ((...args: unknown[]) => {
    outgoing.push(`tls.connect ${describeTarget(args[0])}`);
    return (realTls as (...a: unknown[]) => tls.TLSSocket)(...args);
  }) as typeof tls.connect;

  return {
    url,
    requests,
    outgoing,
    reset() {
      requests.length = 0;
      outgoing.length = 0;
    },
    async close() {
      globalThis.fetch = realFetch;
      net.connect = realNet;
      tls.connect = realTls;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function describeTarget(target: unknown): string {
  if (target && typeof target === 'object') {
    const t = target as { host?: string; port?: number; path?: string };
    return t.path ?? `${t.host ?? 'localhost'}:${t.port ?? '?'}`;
  }
  return String(target);
}
