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
  if (shown !== raw) {
    throw new RenderError('USAGE', `WaveSpeed base URL "${shown}" contains the API key`, { hint: 'check WAVESPEED_BASE_URL' });
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/** How an endpoint is named to people: `the local mock server`, or the URL. */
export function describeEndpoint(endpoint: string): string {
  return endpoint === MOCK_ENDPOINT ? 'the local mock server' : endpoint;
}
