import { statSync } from 'node:fs';
import path from 'node:path';
import { RenderError } from '../errors.js';
import type { LockTake } from '../lock/schema.js';
import type { LoadedState } from '../lock/backend.js';
import { readCurrentLock } from '../lock/store.js';
import { validateSpec } from './plan-spec.js';

/** A take's file: at the shot's output name or elsewhere (`.takes/`), and whether its size is still the recorded one. */
interface TakeFile {
  path: string;
  state: 'intact' | 'missing' | 'changed';
}

export interface TakeRow {
  shot: string;
  endpoint: string;
  take: LockTake;
  current: boolean;
  file?: TakeFile;
}

export interface TakesReport {
  specFile: string;
  name: string;
  rows: TakeRow[];
}

/**
 * Every take of every shot (or of the shots named), on every endpoint, newest first: what `render takes` shows
 * (docs/ARCHITECTURE.md "State"). Read-only, no network.
 */
export function listTakes(specFile: string, shots: readonly string[] = [], state?: LoadedState): TakesReport {
  const { loaded, spec, shots: expanded } = validateSpec(specFile);
  const lock = state?.lock ?? readCurrentLock(loaded.file, spec.name);
  const known = new Set<string>();
  for (const state of Object.values(lock.endpoints)) for (const id of Object.keys(state.shots)) known.add(id);
  const order = [...expanded.map((s) => s.id), ...[...known].filter((id) => !expanded.some((s) => s.id === id)).sort()];
  const missing = shots.filter((id) => !order.includes(id));
  if (missing.length > 0) {
    const sample = order.slice(0, 8).join(', ') + (order.length > 8 ? ', ...' : '');
    throw new RenderError('USAGE', `no shot ${missing.map((m) => `"${m}"`).join(', ')} in the spec or its lockfile`, { hint: `shot ids: ${sample || 'none'}` });
  }
  const rows: TakeRow[] = [];
  for (const id of order) {
    if (shots.length > 0 && !shots.includes(id)) continue;
    for (const [endpoint, state] of Object.entries(lock.endpoints)) {
      const entry = state.shots[id];
      for (const take of [...(entry?.takes ?? [])].reverse()) {
        const out = take.outputs[0];
        rows.push({
          shot: id,
          endpoint,
          take,
          current: entry?.current === take.n,
          file: out ? { path: out.path, state: fileState(loaded.dir, take) } : undefined,
        });
      }
    }
  }
  return { specFile: loaded.file, name: spec.name, rows };
}

function fileState(dir: string, take: LockTake): TakeFile['state'] {
  for (const out of take.outputs) {
    try {
      if (statSync(path.resolve(dir, out.path)).size !== out.bytes) return 'changed';
    } catch {
      return 'missing';
    }
  }
  return 'intact';
}
