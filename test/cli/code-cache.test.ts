import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CJS_WRAPPER, runWithCodeCache } from '../../src/util/code-cache.js';

/**
 * docs/ARCHITECTURE.md "Start-up": a command runs from one CommonJS bundle (written inside Node's module wrapper,
 * CJS_WRAPPER) with V8's compiled code cached per command in the user's cache folder, keyed by the bundle's build id
 * (its first line), the Node version and the architecture. A cache that is missing, refused or unwritable costs a compile, never a failure.
 */

const ID = 'ab'.repeat(32);
let dir: string;
let file: string;
let cacheDir: string;
const place = () => ({ dir: cacheDir, name: 'plan' });
const cacheFiles = () => {
  try {
    return readdirSync(cacheDir);
  } catch {
    return [];
  }
};
/**
 * The file under another name each time: V8 keeps what it compiled in memory by source and name, and a second
 * compile of the same one in this process would never look at the cache on disk.
 */
let copies = 0;
const fresh = (): string => {
  const copy = path.join(dir, `run-${++copies}.bundle.cjs`);
  writeFileSync(copy, readFileSync(file));
  return copy;
};
const write = (id: string | undefined, body = 'exports.answer = (n) => n * 2 + 2;') =>
  writeFileSync(file, `${id === undefined ? '' : `/* render-bundle ${id} */\n`}${CJS_WRAPPER}"use strict";\n${body}\n})`, 'latin1');

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'render-code-cache-'));
  file = path.join(dir, 'run.bundle.cjs');
  cacheDir = path.join(dir, 'cache', 'render');
  write(ID);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('the code cache of the CLI bundle', () => {
  it('runs the CommonJS file and gives its exports', () => {
    const run = runWithCodeCache<{ answer(n: number): number }>(fresh(), place());
    expect(run.exports.answer(20)).toBe(42);
  });

  it('writes the cache only when asked, after the work, named <command>-<hash of its bytes>-<node>-<arch>.v8', () => {
    const run = runWithCodeCache<{ answer(n: number): number }>(fresh(), place());
    run.exports.answer(1);
    expect(cacheFiles()).toEqual([]);
    run.save();
    const bytes = createHash('sha1').update(readFileSync(file)).digest('hex').slice(0, 16);
    expect(cacheFiles()).toEqual([`plan-${bytes}-${process.version}-${process.arch}.v8`]);
  });

  it('uses a cache it finds and leaves it as it is', () => {
    runWithCodeCache(fresh(), place()).save();
    const cache = path.join(cacheDir, cacheFiles()[0] ?? '');
    const old = new Date('2020-01-01T00:00:00Z');
    utimesSync(cache, old, old);
    const run = runWithCodeCache<{ answer(n: number): number }>(fresh(), place());
    expect(run.exports.answer(20)).toBe(42);
    run.save();
    expect(statSync(cache).mtimeMs).toBe(old.getTime());
  });

  it('replaces a cache that V8 refuses (damaged bytes), and still runs', () => {
    runWithCodeCache(fresh(), place()).save();
    const cache = path.join(cacheDir, cacheFiles()[0] ?? '');
    writeFileSync(cache, 'not a V8 code cache');
    const run = runWithCodeCache<{ answer(n: number): number }>(fresh(), place());
    expect(run.exports.answer(20)).toBe(42);
    run.save();
    expect(readFileSync(cache, 'latin1')).not.toBe('not a V8 code cache');
  });

  it('never gives one build the cache of another: a new build is a new cache file, and the old one is removed', () => {
    runWithCodeCache(fresh(), place()).save();
    const before = cacheFiles();
    write('cd'.repeat(32), 'exports.answer = (n) => n * 3 + 2;');
    const run = runWithCodeCache<{ answer(n: number): number }>(fresh(), place());
    expect(run.exports.answer(20)).toBe(62);
    run.save();
    expect(cacheFiles()).toHaveLength(1);
    expect(cacheFiles()).not.toEqual(before);
  });

  it('never runs the code of the old bytes when the bundle is patched after the build (same build id, same length)', () => {
    runWithCodeCache(fresh(), place()).save();
    write(ID, 'exports.answer = (n) => n * 2 + 3;');
    const run = runWithCodeCache<{ answer(n: number): number }>(fresh(), place());
    expect(run.exports.answer(20)).toBe(43);
  });

  it('never hands V8 a cache whose bytes were damaged on disk (V8 would crash on it): compiles, and replaces it', () => {
    runWithCodeCache(fresh(), place()).save();
    const cache = path.join(cacheDir, cacheFiles()[0] ?? '');
    const bytes = readFileSync(cache);
    for (let i = Math.floor(bytes.length / 3); i < Math.min(bytes.length, Math.floor(bytes.length / 3) + 4000); i++) bytes[i]! ^= 0x5a;
    writeFileSync(cache, bytes);
    const run = runWithCodeCache<{ answer(n: number): number }>(fresh(), place());
    expect(run.exports.answer(20)).toBe(42);
    run.save();
    expect(readFileSync(cache).equals(bytes)).toBe(false);
  });

  it('keeps no cache for a file without a build id in its first line', () => {
    write(undefined);
    const run = runWithCodeCache<{ answer(n: number): number }>(fresh(), place());
    expect(run.exports.answer(20)).toBe(42);
    run.save();
    expect(cacheFiles()).toEqual([]);
  });

  it('runs without a word when the cache folder cannot be made (its parent is a file)', () => {
    writeFileSync(path.join(dir, 'cache'), '');
    const run = runWithCodeCache<{ answer(n: number): number }>(fresh(), place());
    expect(run.exports.answer(20)).toBe(42);
    expect(() => run.save()).not.toThrow();
  });
});
