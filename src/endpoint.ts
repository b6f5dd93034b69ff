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
 * origin plus path, no trailing slash. Refused: anything not http(s), and a URL carrying a secret.
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
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/**
 * The identity of an endpoint, as the lockfile records it and spend is counted by: the base URL with the scheme
 * and host in lower case, the default port dropped, no trailing slash, and every loopback name as 127.0.0.1, so
 * `http://localhost:8787/` and `http://127.0.0.1:8787` are one endpoint (one budget, one set of takes).
 */
export function endpointIdentity(baseUrl: string): string {
  if (baseUrl === MOCK_ENDPOINT) return MOCK_ENDPOINT;
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    return baseUrl; // not a URL (a hand-written lockfile): kept as written, it matches only itself
  }
  if (LOOPBACK_HOSTS.has(url.hostname.toLowerCase()) || /^127\.\d+\.\d+\.\d+$/.test(url.hostname)) url.hostname = '127.0.0.1';
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/** How an endpoint is named to people: `the local mock server`, or the URL. */
export function describeEndpoint(endpoint: string): string {
  return endpoint === MOCK_ENDPOINT ? 'the local mock server' : endpoint;
}
