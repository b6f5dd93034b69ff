import path from 'node:path';

/** Working state that is not committed lives in `.render/` beside the spec (docs/SPEC.md). */
export function stateDir(specFile: string): string {
  return path.join(path.dirname(specFile), '.render');
}

export function journalPath(specFile: string, name: string): string {
  return path.join(stateDir(specFile), `${name}.journal.ndjson`);
}

/** The copy of the lockfile an apply leaves in `.render/` when it ends: the way back from a stale lockfile. */
export function lastLockPath(specFile: string, name: string): string {
  return path.join(stateDir(specFile), `${name}.last.lock.json`);
}
