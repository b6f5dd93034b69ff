import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { RenderError } from '../errors.js';
import { canonicalJson } from '../util/canonical-json.js';
import { displayPath } from '../util/paths.js';
import { emptyLockfile, LOCK_VERSION, LockfileSchema, type Lockfile } from './lock-schema.js';

/** `<name>.lock.json` beside the spec. */
export function lockfilePath(specFile: string, name: string): string {
  return path.join(path.dirname(specFile), `${name}.lock.json`);
}

/** Read a lockfile; a missing one is empty. The version is checked before anything else is trusted. */
export function readLockfile(file: string, name: string): Lockfile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return emptyLockfile(name);
    throw new RenderError('LOCKFILE_INVALID', `cannot read ${displayPath(file)}: ${(err as NodeJS.ErrnoException).code}`, { cause: err });
  }
  const shown = displayPath(file);
  if (/^(<{7}|={7}|>{7})( |$)/m.test(text)) {
    throw new RenderError('LOCKFILE_INVALID', `${shown} has git merge-conflict markers`, {
      hint: 'resolve the conflict (keep both sides\' shots; for a shot in both, keep the newer take), then run `render status`',
    });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new RenderError('LOCKFILE_INVALID', `${shown} is not valid JSON: ${(err as Error).message}`, {
      hint: 'restore it from git (`git checkout -- ' + shown + '`); never delete it: it records what was paid for',
    });
  }
  const version = (data as { version?: unknown } | null)?.version;
  if (typeof version === 'number' && version > LOCK_VERSION) {
    throw new RenderError('LOCKFILE_INVALID', `${shown} is lockfile version ${version}; this render reads version ${LOCK_VERSION}`, {
      hint: 'upgrade render to the version that wrote it',
    });
  }
  const parsed = LockfileSchema.safeParse(data);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const where = first ? `${first.path.join('.')}: ${first.message}` : 'invalid';
    throw new RenderError('LOCKFILE_INVALID', `${shown} is not a valid render lockfile (${where})`, {
      hint: 'restore it from git; if it was edited by hand, undo the edit',
    });
  }
  if (parsed.data.name !== name) {
    throw new RenderError('LOCKFILE_INVALID', `${shown} belongs to spec "${parsed.data.name}", not "${name}"`, {
      hint: 'each spec name has its own lockfile; rename one of them',
    });
  }
  return parsed.data;
}

/** Lockfile text: keys sorted at every depth, two-space indent, final newline (stable diffs in git). */
export function serializeLockfile(lock: Lockfile): string {
  return `${canonicalJson(lock, 2)}\n`;
}

/**
 * Write atomically: temp file beside the target, fsync, rename, fsync the folder. Unchanged bytes are not
 * rewritten. Returns the number of bytes written (0 when unchanged).
 */
export function writeLockfile(file: string, lock: Lockfile): number {
  const text = serializeLockfile(lock);
  try {
    if (readFileSync(file, 'utf8') === text) return 0;
  } catch {
    // missing: write it
  }
  writeFileAtomic(file, text);
  return Buffer.byteLength(text);
}

export function writeFileAtomic(file: string, text: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${Date.now().toString(36)}.tmp`;
  const fd = openSync(tmp, 'w', 0o644);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
  closeSync(fd);
  renameSync(tmp, file);
  try {
    const dir = openSync(path.dirname(file), 'r');
    fsyncSync(dir);
    closeSync(dir);
  } catch {
    // not every platform can fsync a folder; the rename is still atomic
  }
}
