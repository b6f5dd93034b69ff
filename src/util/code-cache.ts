import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import vm from 'node:vm';
import { writeFileAtomic } from './atomic-file.js';

/**
 * A CommonJS file run with V8's cached compiled code, the technique of v8-compile-cache (docs/ARCHITECTURE.md
 * "Start-up"): Node 20 keeps no compile cache of its own, but a vm.Script takes and makes V8's cached data.
 */
export interface CachedScript<T> {
  exports: T;
  /**
   * Write the cache when this run had none or V8 refused it (another Node, other V8 flags). Call it after the
   * work, so every function the work compiled is in it. Never throws: a cache that cannot be written (a read-only
   * home, a full disk) only means the next start compiles again.
   */
  save(): void;
}

/** Where a script's cache goes: `<dir>/<name>-<build>-<node version>-<arch>.v8`; one a name, e.g. per command. */
export interface CodeCachePlace {
  dir: string;
  name: string;
}

/** What `scripts/bundle-cli.mjs` writes as the first line: the bundle's sha256, so no start hashes 2 MB. */
const BUILD_ID = /^\/\* render-bundle ([0-9a-f]{64}) \*\//;

/** How the bundle's second line starts (scripts/bundle-cli.mjs writes the module inside it): Node's own CommonJS wrapper. */
export const CJS_WRAPPER = '(function (exports, require, module, __filename, __dirname) {';

/**
 * Run `file` with its cached compiled code from `place`; with no place, no build id in its first line, or a cache
 * missing or refused, V8 compiles as usual. The cache is keyed by the file's bytes because V8 checks only the
 * source's length. The file is a CommonJS module already in its wrapper, one function expression
 * `(function (exports, require, module, __filename, __dirname) {...})` (CJS_WRAPPER): V8 compiles the text as
 * read, with no copy of 1.3 MB to wrap it. It is ASCII only (read as latin1, the one-byte strings V8 reads fastest)
 * and has no `import()`: on Node 20 a script compiled from the cache loses its module loader, and the import fails.
 */
export function runWithCodeCache<T>(file: string, place: CodeCachePlace | undefined): CachedScript<T> {
  const bytes = readFileSync(file);
  const source = bytes.toString('latin1');
  const id = BUILD_ID.exec(source)?.[1];
  // Keyed by the bytes as they are now, not by the build id of the first line: a bundle patched after the build (a
  // hotfix, patch-package) is never run with the code compiled from the old one (V8 checks only the length).
  const key = id ? `${createHash('sha1').update(bytes).digest('hex').slice(0, 16)}-${process.version}-${process.arch}` : undefined;
  const cacheFile = place && key ? path.join(place.dir, `${place.name}-${key}.v8`) : undefined;
  const cachedData = cacheFile ? readChecked(cacheFile) : undefined;
  const script = new vm.Script(source, { filename: file, cachedData });
  const module = { exports: {} as T };
  script.runInThisContext()(module.exports, createRequire(file), module, file, path.dirname(file));
  const fresh = cachedData === undefined || script.cachedDataRejected === true;
  return {
    exports: module.exports,
    save() {
      if (!cacheFile || !place || !fresh) return;
      try {
        const data = script.createCachedData();
        writeFileAtomic(cacheFile, Buffer.concat([digest(data), data]));
        removeOthers(place, path.basename(cacheFile));
      } catch {
        // not writable: compile next time too
      }
    },
  };
}

/**
 * The cached data, if its checksum holds. V8 checks a cache's source length and flags, not its bytes (release
 * builds skip the payload checksum): a cache damaged on disk would crash every start (a fatal error in V8's
 * deserializer), so the bytes are checked here first; a damaged cache is compiled anew and replaced.
 */
function readChecked(cacheFile: string): Buffer | undefined {
  let bytes: Buffer;
  try {
    bytes = readFileSync(cacheFile);
  } catch {
    return undefined; // no cache yet
  }
  if (bytes.length <= DIGEST_BYTES) return undefined;
  const data = bytes.subarray(DIGEST_BYTES);
  return digest(data).equals(bytes.subarray(0, DIGEST_BYTES)) ? data : undefined;
}

const DIGEST_BYTES = 32;
const digest = (data: Buffer): Buffer => createHash('sha256').update(data).digest();

/** The caches of this command for other builds or Node versions: never read again, so removed. */
function removeOthers(place: CodeCachePlace, keep: string): void {
  for (const name of readdirSync(place.dir)) {
    if (name !== keep && name.startsWith(`${place.name}-`) && name.endsWith('.v8')) rmSync(path.join(place.dir, name), { force: true });
  }
}
