import { RenderError } from './errors.js';
import { redactText } from './util/redact.js';

/**
 * Endpoint identity, in one place (docs/ARCHITECTURE.md "Endpoints"). The lockfile records, per take, the endpoint
 * it was rendered on; spend and "already rendered" are counted per endpoint. The URL a client calls and the
 * endpoint a plan records come from the same function, so they can never disagree.
 */

export const DEFAULT_BASE_URL = 'https://api.wavespeed.ai';

/** The endpoint of runs on the embedded local server (`--mock`): never real money. */
export const MOCK_ENDPOINT = 'mock';

/**
 * A WaveSpeed base URL as typed (WAVESPEED_BASE_URL, a client option) to the form used for calls and records:
 * origin plus path, no trailing slash nor trailing dot on the host. Refused: anything not http(s), and a URL carrying a secret.
 */
export function normalizeBaseUrl(raw: string, secrets: readonly (string | undefined)[] = []): string {
  const shown = redactText(raw, secrets);
  let url: URL | undefined;
  try {
    url = new URL(raw.trim());
  } catch {
    // reported below
  }
  if (!url) {
    throw new RenderError('USAGE', `WAVESPEED_BASE_URL is not a URL: ${JSON.stringify(shown)}`, {
      hint: `unset it to use ${DEFAULT_BASE_URL}, or set it to a WaveSpeed-compatible server such as http://127.0.0.1:8787`,
    });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new RenderError('USAGE', `WAVESPEED_BASE_URL must be an http(s) URL, got ${url.protocol}`, { hint: 'check WAVESPEED_BASE_URL' });
  }
  if (url.username || url.password) {
    throw new RenderError(
      'USAGE',
      `WAVESPEED_BASE_URL must not carry credentials (user:password@): ${JSON.stringify(redactText(`${url.protocol}//${url.host}${url.pathname}`, secrets))}`,
      {
        hint: 'the key goes in WAVESPEED_API_KEY, never in the URL: it would be printed and written to files',
      },
    );
  }
  if (shown !== raw) {
    throw new RenderError('USAGE', `WaveSpeed base URL "${shown}" contains the API key`, { hint: 'check WAVESPEED_BASE_URL' });
  }
  return originAndPath(url);
}

/** Origin plus path, no trailing slash; the host without its trailing dot (`api.wavespeed.ai.` is `api.wavespeed.ai`). */
function originAndPath(url: URL): string {
  const port = url.port ? `:${url.port}` : '';
  return `${url.protocol}//${url.hostname.replace(/\.$/, '')}${port}${url.pathname.replace(/\/+$/, '')}`;
}

/**
 * This machine, as WHATWG URL parsing spells a host (lower case, IPv4 in dotted decimal, IPv6 compressed): every
 * name that reaches a server listening here. `0.0.0.0` and `[::]` are "any address", which a connection reaches
 * as loopback; `[::ffff:7fxx:xxxx]` is an IPv4-mapped 127.x address.
 */
function isLoopbackHost(host: string): boolean {
  return (
    host === 'localhost' ||
    host === '0.0.0.0' ||
    /^127\.\d+\.\d+\.\d+$/.test(host) ||
    host === '[::1]' ||
    host === '[::]' ||
    host === '[::ffff:0:0]' ||
    /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(host)
  );
}

/**
 * The identity of an endpoint, as the lockfile records it and spend is counted by: the base URL with the scheme
 * and host in lower case, the default port dropped, no trailing slash nor trailing dot on the host, and every
 * loopback address as 127.0.0.1, so `http://localhost:8787/`, `http://0.0.0.0:8787`, `http://[::ffff:127.0.0.1]:8787`
 * and `http://127.0.0.1:8787` are one endpoint (one budget, one set of takes).
 */
export function endpointIdentity(baseUrl: string): string {
  if (baseUrl === MOCK_ENDPOINT) return MOCK_ENDPOINT;
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    return baseUrl; // not a URL (a hand-written lockfile): kept as written, it matches only itself
  }
  if (isLoopbackHost(url.hostname.replace(/\.$/, ''))) url.hostname = '127.0.0.1';
  return originAndPath(url);
}

/** How an endpoint is named to people: `the local mock server`, or the URL. */
export function describeEndpoint(endpoint: string): string {
  return endpoint === MOCK_ENDPOINT ? 'the local mock server' : endpoint;
}
