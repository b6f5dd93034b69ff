import { readFileSync } from 'node:fs';
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

/**
 * Run `file` with its cached compiled code from `place`; with no place, no build id in its first line, or a cache
 * missing or refused, V8 compiles as usual. The cache is keyed by the build id because V8 checks only the source's
 * length. The file is CommonJS, ASCII only (read as latin1, the one-byte strings V8 reads fastest) and has no
 * `import()`: on Node 20 a script compiled from the cache loses its module loader, and the import fails.
 */
export function runWithCodeCache<T>(file: string, place: CodeCachePlace | undefined): CachedScript<T> {
  const source = readFileSync(file, 'latin1');
  const id = BUILD_ID.exec(source)?.[1];
  const cacheFile = place && id ? path.join(place.dir, `${place.name}-${id.slice(0, 16)}-${process.version}-${process.arch}.v8`) : undefined;
  let cachedData: Buffer | undefined;
  if (cacheFile) {
    try {
      cachedData = readFileSync(cacheFile);
    } catch {
      // no cache yet
    }
  }
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: file,
    cachedData,
  });
  const module = { exports: {} as T };
  script.runInThisContext()(module.exports, createRequire(file), module, file, path.dirname(file));
  const fresh = cachedData === undefined || script.cachedDataRejected === true;
  return {
    exports: module.exports,
    save() {
      if (!cacheFile || !fresh) return;
      try {
        writeFileAtomic(cacheFile, script.createCachedData());
      } catch {
        // not writable: compile next time too
      }
    },
  };
}
