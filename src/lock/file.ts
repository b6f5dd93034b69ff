import { readFileSync } from 'node:fs';
import path from 'node:path';
import { RenderError, type Issue } from '../errors.js';
import { jsonFieldIssues, jsonSyntaxError, positionAt } from '../spec/positions.js';
import { canonicalJson } from '../util/canonical-json.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import { displayPath } from '../util/paths.js';
import { emptyLockfile, LOCK_VERSION, LockfileSchema, type Lockfile } from './schema.js';

/** `<name>.lock.json` beside the spec. */
export function lockfilePath(specFile: string, name: string): string {
  return path.join(path.dirname(specFile), `${name}.lock.json`);
}

/** Read a lockfile; a missing one is empty. The version is checked before anything else is trusted. */
export function readLockfile(file: string, name: string): Lockfile {
  const shown = displayPath(file);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return emptyLockfile(name);
    if (code === 'EISDIR')
      throw invalid(`${shown} is a folder, not a lockfile`, [], 'move the folder away: the lockfile is the file <name>.lock.json beside the spec');
    throw new RenderError('LOCKFILE_INVALID', `cannot read ${shown}: ${code ?? String(err)}`, { cause: err });
  }
  // An editor's byte-order mark is not a reason to refuse a record of what was paid.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.trim() === '') {
    throw invalid(`${shown} is empty`, [], `restore it from git (\`git checkout -- ${shown}\`); if git has no version of it, it recorded nothing: delete it`);
  }
  const marker = /^(<{7}|={7}|>{7})( |$)/m.exec(text);
  if (marker) {
    const at = positionAt(text, marker.index);
    throw invalid(
      `${shown} has git merge-conflict markers`,
      [{ file: shown, ...at, message: `${marker[1]} (a conflict marker)` }],
      "resolve the conflict (keep both sides' shots; for a shot in both, keep the newer take), then run `render status`",
    );
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    const { reason, issue } = jsonSyntaxError(shown, text, err);
    throw invalid(
      `${shown} is not valid JSON: ${reason}`,
      issue ? [issue] : [],
      `restore it from git (\`git checkout -- ${shown}\`); never delete it: it records what was paid for`,
    );
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw invalid(
      `${shown} is not a valid render lockfile`,
      [{ file: shown, line: 1, col: 1, message: `expected an object with version, name and shots, got ${describeJson(data)}` }],
      RESTORE,
    );
  }
  const version = (data as { version?: unknown }).version;
  if (typeof version === 'number' && Number.isInteger(version) && version > LOCK_VERSION) {
    throw new RenderError('LOCKFILE_INVALID', `${shown} is lockfile version ${version}; this render reads version ${LOCK_VERSION}`, {
      hint: 'upgrade render to the version that wrote it',
    });
  }
  if (version !== LOCK_VERSION) {
    throw invalid(
      `${shown} is not a valid render lockfile`,
      jsonFieldIssues(shown, text, [{ path: ['version'], message: `must be ${LOCK_VERSION}, got ${describeJson(version)}` }]),
      RESTORE,
    );
  }
  const parsed = LockfileSchema.safeParse(data);
  if (!parsed.success) {
    const problems = parsed.error.issues.slice(0, 50).map((i) => ({ path: i.path, message: i.message }));
    throw invalid(`${shown} is not a valid render lockfile`, jsonFieldIssues(shown, text, problems), RESTORE);
  }
  if (parsed.data.name !== name) {
    throw new RenderError('LOCKFILE_INVALID', `${shown} belongs to spec "${parsed.data.name}", not "${name}"`, {
      hint: 'each spec name has its own lockfile; rename one of them',
    });
  }
  return parsed.data;
}

const RESTORE = 'restore it from git; if it was edited by hand, undo the edit';

function invalid(message: string, issues: Issue[], hint: string): RenderError {
  return new RenderError('LOCKFILE_INVALID', message, { issues, hint });
}

function describeJson(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  const text = JSON.stringify(v);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
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
