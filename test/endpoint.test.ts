import { describe, expect, it } from 'vitest';
import { endpointIdentity, normalizeBaseUrl } from '../src/endpoint.js';

/** docs/ARCHITECTURE.md "Endpoints": one server is one endpoint however its address is written (one budget, one set of takes). */
const identity = (typed: string) => endpointIdentity(normalizeBaseUrl(typed));

describe('endpoint identity', () => {
  it.each([
    'http://127.0.0.1:8787',
    'http://localhost:8787/',
    'http://[::1]:8787',
    'http://127.0.0.2:8787',
    'http://0.0.0.0:8787',
    'http://[::]:8787',
    'http://[::ffff:127.0.0.1]:8787',
    'http://[::ffff:127.9.8.7]:8787',
    'http://localhost.:8787',
  ])('every loopback address is 127.0.0.1: %s', (typed) => {
    expect(identity(typed)).toBe('http://127.0.0.1:8787');
  });

  it('a host name with a trailing dot is the same host: https://api.wavespeed.ai. is https://api.wavespeed.ai', () => {
    expect(normalizeBaseUrl('https://api.wavespeed.ai.')).toBe('https://api.wavespeed.ai');
    expect(identity('HTTPS://API.WaveSpeed.AI.:443/')).toBe('https://api.wavespeed.ai');
    expect(identity('http://example.com.:8080/v1/')).toBe('http://example.com:8080/v1');
  });

  it('addresses of other machines stay apart', () => {
    expect(identity('http://[::ffff:10.0.0.1]:8787')).toBe('http://[::ffff:a00:1]:8787');
    expect(identity('http://10.0.0.1:8787')).toBe('http://10.0.0.1:8787');
    expect(identity('http://128.0.0.1:8787')).toBe('http://128.0.0.1:8787');
  });
});
