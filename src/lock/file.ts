import { readFileSync } from 'node:fs';
import path from 'node:path';
import { visit } from 'jsonc-parser';
import { RenderError, type Issue } from '../errors.js';
import { jsonFieldIssues, jsonSyntaxError, positionAt } from '../spec/positions.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import { canonicalJson } from '../util/canonical-json.js';
import { displayPath } from '../util/paths.js';
import { getV1LockfileSchema, type V1Lockfile } from './migrate-v1.js';
import { readJournal } from './journal.js';
import { journalPath, lastLockPath } from './paths.js';
import { getLockSchemas, LOCK_VERSION, type Lockfile } from './schema.js';
import { foldWal, repairTornWal, walRecords } from './wal-read.js';

/** `<name>.lock.json` beside the spec. */
export function lockfilePath(specFile: string, name: string): string {
  return path.join(path.dirname(specFile), `${name}.lock.json`);
}

/**
 * A lockfile as read: version 2 (with its wal folded in; `wal` counts the records there, when it had any), or a
 * version 1 file still to be migrated (after its journal is replayed).
 */
export type LockfileOnDisk = { version: 2; lock: Lockfile; wal?: number } | { version: 1; v1: V1Lockfile };

/**
 * Read a lockfile; undefined when there is none. Everything about it is checked before anything is trusted: JSON
 * syntax, duplicate keys (JSON.parse would silently keep the last), merge-conflict markers, the version, the
 * schema and the spec name. A damaged record of what was paid is refused, never guessed at; the one exception is
 * the wal's last line torn by a crash mid-append (lock/wal-read.ts), dropped: that record is in the journal, written
 * first. The wal's records are folded into the state through the one reducer before anyone sees it (every reader
 * comes here: plan, status, takes, ledger, apply, the state database's checks).
 */
export function readLockfileOnDisk(file: string, name: string): LockfileOnDisk | undefined {
  const shown = displayPath(file);
  const restore = (fromGit: string) => wayBack(file, name, fromGit);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'EISDIR')
      throw invalid(`${shown} is a folder, not a lockfile`, [], 'move the folder away: the lockfile is the file <name>.lock.json beside the spec');
    throw new RenderError('LOCKFILE_INVALID', `cannot read ${shown}: ${code ?? String(err)}`, { cause: err });
  }
  // An editor's byte-order mark is not a reason to refuse a record of what was paid.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.trim() === '') {
    throw invalid(
      `${shown} is empty`,
      [],
      restore(`restore it from git (\`git checkout -- ${shown}\`); if git has no version of it, it recorded nothing: delete it`),
    );
  }
  const marker = /^(<{7}|={7}|>{7})( |$)/m.exec(text);
  if (marker) {
    const at = positionAt(text, marker.index);
    throw invalid(
      `${shown} has git merge-conflict markers`,
      [{ file: shown, ...at, message: `${marker[1]} (a conflict marker)` }],
      "resolve the conflict (keep both sides' shots; for a shot in both, keep both sides' takes), then run `render status`",
    );
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    const repaired = repairTornWal(text);
    if (repaired === undefined) {
      const { reason, issue } = jsonSyntaxError(shown, text, err);
      throw invalid(
        `${shown} is not valid JSON: ${reason}`,
        issue ? [issue] : [],
        restore(`restore it from git (\`git checkout -- ${shown}\`); never delete it: it records what was paid for`),
      );
    }
    text = repaired;
    data = JSON.parse(text);
  }
  const duplicate = firstDuplicateKey(text);
  if (duplicate) {
    throw invalid(
      `${shown} has the key "${duplicate.key}" twice in one object`,
      [{ file: shown, ...positionAt(text, duplicate.offset), message: `duplicate key "${duplicate.key}"` }],
      `a lockfile written by render never has duplicate keys: it was edited or merged by hand; ${restore('restore it from git')}; when merging by hand, keep every take of both entries: each one was paid`,
    );
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw invalid(
      `${shown} is not a valid render lockfile`,
      [{ file: shown, line: 1, col: 1, message: `expected an object with version, name and endpoints, got ${describeJson(data)}` }],
      restore(RESTORE),
    );
  }
  const version = (data as { version?: unknown }).version;
  if (typeof version === 'number' && Number.isInteger(version) && version > LOCK_VERSION) {
    throw new RenderError('LOCKFILE_INVALID', `${shown} is lockfile version ${version}; this render reads versions 1 and ${LOCK_VERSION}`, {
      hint: 'upgrade render to the version that wrote it',
    });
  }
  if (version !== LOCK_VERSION && version !== 1) {
    throw invalid(
      `${shown} is not a valid render lockfile`,
      jsonFieldIssues(shown, text, [{ path: ['version'], message: `must be ${LOCK_VERSION}, got ${describeJson(version)}` }]),
      restore(RESTORE),
    );
  }
  const { wal, ...state } = data as { wal?: unknown };
  const records = version === LOCK_VERSION && wal !== undefined ? walRecords(wal) : { records: [] };
  if ('bad' in records) {
    throw invalid(`${shown} is not a valid render lockfile`, jsonFieldIssues(shown, text, [{ path: records.bad, message: records.message }]), restore(RESTORE));
  }
  const schema = version === 1 ? getV1LockfileSchema() : getLockSchemas().LockfileSchema;
  const parsed = schema.safeParse(version === 1 ? data : state);
  if (!parsed.success) {
    const problems = parsed.error.issues.slice(0, 50).map((i) => ({ path: i.path, message: i.message }));
    throw invalid(`${shown} is not a valid render lockfile`, jsonFieldIssues(shown, text, problems), restore(RESTORE));
  }
  if (parsed.data.name !== name) {
    throw new RenderError('LOCKFILE_INVALID', `${shown} belongs to spec "${parsed.data.name}", not "${name}"`, {
      hint: 'each spec name has its own lockfile; rename one of them',
    });
  }
  if (version === 1) return { version: 1, v1: parsed.data as V1Lockfile };
  const folded = foldWal(parsed.data as Lockfile, records.records);
  if ('bad' in folded) {
    const rec = records.records[folded.bad]!;
    const problem = { path: ['wal', folded.bad], message: `does not fit the state: its "${rec.t}" record leaves ${folded.where}` };
    throw invalid(`${shown} is not a valid render lockfile`, jsonFieldIssues(shown, text, [problem]), restore(RESTORE));
  }
  return records.records.length === 0 ? { version: 2, lock: folded.lock } : { version: 2, lock: folded.lock, wal: records.records.length };
}

const RESTORE = 'restore it from git; if it was edited by hand, undo the edit';

/**
 * What to do about a damaged lockfile. Git's version lacks what was paid since its commit (the wal's records
 * included). The copy an apply leaves in `.render/` at each full write, with the journal beside it, lacks nothing
 * when the journal starts at or before the copy's serial (docs/ARCHITECTURE.md "State"): then it comes first. A copy
 * behind the journal (written by another kind of run, or left over) is offered after git, for what it is.
 */
function wayBack(file: string, name: string, fromGit: string): string {
  const copyFile = lastLockPath(file, name);
  const copy = lineageOf(copyFile);
  if (!copy) return fromGit;
  const shown = displayPath(copyFile);
  const cp = `copy ${shown} over it (\`cp ${shown} ${displayPath(file)}\`)`;
  const base = journalBase(journalPath(file, name));
  if (base?.lineage === copy.lineage && base.serial <= copy.serial) {
    return `${cp}: with the journal beside it, it holds every take this folder recorded, the ones paid since the last commit too, which git's version lacks; without it, ${fromGit}`;
  }
  return `${fromGit}; or ${cp}, the last full write this folder made (serial ${copy.serial}), newer than git's if you have not committed since; takes recorded after it may be in neither`;
}

/** The lineage and serial a lockfile (or its copy) names; undefined when it cannot be read. */
function lineageOf(file: string): { lineage: string; serial: number } | undefined {
  try {
    const { lineage, serial } = JSON.parse(readFileSync(file, 'utf8')) as { lineage?: unknown; serial?: unknown };
    return typeof lineage === 'string' && typeof serial === 'number' ? { lineage, serial } : undefined;
  } catch {
    return undefined;
  }
}

/** The journal's `base` record: the lockfile its records apply on top of. */
function journalBase(file: string): { lineage: string; serial: number } | undefined {
  try {
    const first = readJournal(file)[0]?.rec;
    return first?.t === 'base' && typeof first.lineage === 'string' && typeof first.serial === 'number'
      ? { lineage: first.lineage, serial: first.serial }
      : undefined;
  } catch {
    return undefined;
  }
}

function invalid(message: string, issues: Issue[], hint: string): RenderError {
  return new RenderError('LOCKFILE_INVALID', message, { issues, hint });
}

function describeJson(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  const text = JSON.stringify(v);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

/** The first key that appears twice in one object, and where: JSON.parse keeps the last silently. */
function firstDuplicateKey(text: string): { key: string; offset: number } | undefined {
  const stack: Set<string>[] = [];
  let found: { key: string; offset: number } | undefined;
  visit(
    text,
    {
      onObjectBegin: () => void stack.push(new Set()),
      onObjectEnd: () => void stack.pop(),
      onObjectProperty: (key, offset) => {
        const keys = stack[stack.length - 1];
        if (!keys || found) return;
        if (keys.has(key)) found = { key, offset };
        keys.add(key);
      },
    },
    { disallowComments: true },
  );
  return found;
}

/** Lockfile text: keys sorted at every depth, two-space indent, final newline (stable diffs in git). */
export function serializeLockfile(lock: Lockfile): string {
  return `${canonicalJson(lock, 2)}\n`;
}

/**
 * Write the lockfile atomically (docs/ARCHITECTURE.md "State"), bumping its serial, unless nothing but the serial
 * would change: unchanged state leaves the file's bytes alone. `previous` is the text last written (or read), so
 * the file is not read back on every write; `beforeWrite` is handed the new text before it is written. Returns the text now
 * on disk and the bytes written (0 when unchanged).
 */
export function writeLockfile(
  file: string,
  lock: Lockfile,
  previous: string | undefined,
  beforeWrite?: (text: string) => void,
): { text: string; bytes: number } {
  if (previous !== undefined && serializeLockfile(lock) === previous) return { text: previous, bytes: 0 };
  lock.serial += 1;
  const text = serializeLockfile(lock);
  beforeWrite?.(text);
  writeFileAtomic(file, text);
  return { text, bytes: Buffer.byteLength(text) };
}
