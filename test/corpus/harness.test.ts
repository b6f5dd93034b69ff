import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeFiles, resolveArgs, snapshot, stripDir } from './harness.js';
import { startTripwire } from './tripwire.js';

/** The corpus's guards must be able to fail: each is shown catching what it is there to catch. */

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(path.join(tmpdir(), 'render-corpus-harness-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('the corpus harness', () => {
  it('the tripwire counts a request to it and blocks (and records) one to any other host', async () => {
    const wire = await startTripwire();
    try {
      const res = await fetch(`${wire.url}/api/v3/predictions`, { method: 'POST', body: '{}' });
      expect(res.status).toBe(500);
      await expect(fetch('https://api.wavespeed.ai/api/v3/balance')).rejects.toThrow(/tripwire blocks/);
      expect(wire.requests).toEqual(['POST /api/v3/predictions']);
      // the socket under the first fetch is seen too: a client that bypassed fetch would not go unnoticed
      expect(wire.outgoing).toEqual([
        `fetch ${wire.url}/api/v3/predictions`,
        `net.connect ${wire.url.slice('http://'.length)}`,
        'fetch https://api.wavespeed.ai/api/v3/balance',
      ]);
    } finally {
      await wire.close();
    }
  });

  it('a snapshot changes when a file changes, appears, or an empty folder is left behind', () => {
    const dir = tmp();
    writeFileSync(path.join(dir, 'spec.yaml'), 'a');
    const before = snapshot(dir);
    mkdirSync(path.join(dir, '.render'));
    expect(snapshot(dir)).not.toEqual(before);
    rmSync(path.join(dir, '.render'), { recursive: true });
    writeFileSync(path.join(dir, 'spec.yaml'), 'b');
    expect(snapshot(dir)).not.toEqual(before);
  });

  it('makes images, sparse big files, links and folders in place of binaries', () => {
    const dir = tmp();
    makeFiles(dir, {
      'a.png': { png: [640, 360], truncate: 100 },
      'big.png': { png: [640, 360], size: 11 * 1024 * 1024 },
      'link.png': { symlink: 'gone.png' },
      'd.png': { dir: true },
      'bomb.png': { pngHeader: [2 ** 31, 2 ** 31], idat: 'bogus' },
      'hollow.png': { pngHeader: [640, 360], idat: 'none' },
    });
    const s = snapshot(dir);
    expect(s['a.png']).toMatch(/^100 /);
    expect(s['big.png']).toMatch(/^11534336 /);
    expect(s['link.png']).toBe('link -> gone.png');
    expect(s['d.png']).toBe('dir');
    // a bomb's header claims 2^31 x 2^31 px in 89 bytes; without IDAT, 45
    expect(s['bomb.png']).toMatch(/^89 /);
    expect(s['hollow.png']).toMatch(/^45 /);
    expect(readFileSync(path.join(dir, 'bomb.png')).readUInt32BE(16)).toBe(2 ** 31);
  });

  it("reads ./x in argv as the case copy's file, and prints paths relative to it", () => {
    expect(resolveArgs('/tmp/c', ['plan', './spec.yaml', '--out=./p.json', '--only', 'a'])).toEqual([
      'plan',
      '/tmp/c/spec.yaml',
      '--out=/tmp/c/p.json',
      '--only',
      'a',
    ]);
    expect(stripDir('error: /tmp/c/spec.yaml:1:1 x', '/tmp/c')).toBe('error: spec.yaml:1:1 x');
  });
});
