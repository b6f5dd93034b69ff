import { readFileSync } from 'node:fs';
import type { LoadedState } from '../lock/backend.js';
import { readStateBackend } from '../lock/open-backend.js';
import { STATE_URL_ENV, stateLocationOf, type StateLocation } from '../lock/state-url.js';
import { checkSpec } from '../spec/check.js';
import { loadSpec } from '../spec/load.js';
import type { CliIO } from './command.js';

/** A spec's file, name and state location, when its state is in a database (docs/ARCHITECTURE.md "Team state"). */
export interface StateTarget {
  file: string;
  name: string;
  location: StateLocation;
}

/**
 * Where a spec's state lives, without loading the spec twice in the usual case: only with RENDER_STATE_URL set, or a
 * `state:` key in the spec's text, is the spec read here (what is wrong with it is reported here as everywhere).
 */
export function stateTargetOf(specFile: string, env: CliIO['env']): StateTarget | undefined {
  if (!env[STATE_URL_ENV] && !mentionsState(specFile)) return undefined;
  const loaded = loadSpec(specFile);
  const spec = checkSpec(loaded);
  const location = stateLocationOf(spec, env);
  return location ? { file: loaded.file, name: spec.name, location } : undefined;
}

/** The state a read-only command plans from: undefined for a campaign in files (the command reads them itself). */
export async function readStateFor(specFile: string, io: CliIO, command: string): Promise<LoadedState | undefined> {
  const target = stateTargetOf(specFile, io.env);
  return target ? readStateBackend(target.location, target.file, target.name, `render ${command}`) : undefined;
}

/** For commands whose output has no place for warnings: they go to stderr. */
export function warnState(io: CliIO, state: LoadedState | undefined): void {
  for (const w of state?.warnings ?? []) io.stderr.write(`warning: ${w}\n`);
}

function mentionsState(specFile: string): boolean {
  try {
    return /^state\s*:/m.test(readFileSync(specFile, 'utf8'));
  } catch {
    return false; // unreadable: the command's own load says so
  }
}
