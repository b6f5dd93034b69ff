import type { LoadedState, StateBackend } from './backend.js';
import type { StateLocation } from './state-url.js';

/**
 * The doors to the PostgreSQL backend (docs/ARCHITECTURE.md "Team state"). Each imports `lock/pg/` (and so the
 * `pg` library) only when called: a campaign kept in files never loads either.
 */

/** A backend for a run that writes: the campaign's lock held, its state loaded and checked against the lockfile. */
export async function openStateBackend(location: StateLocation, specFile: string, name: string, command: string): Promise<StateBackend> {
  const { PgBackend } = await import('./pg/state.js');
  return PgBackend.open({ location, specFile, name, command });
}

/** The campaign's state for a command that only reads. */
export async function readStateBackend(location: StateLocation, specFile: string, name: string, command: string): Promise<LoadedState> {
  const { readPgState } = await import('./pg/state.js');
  return readPgState(location, specFile, name, command);
}

/** `render state push SPEC` / `render state pull SPEC`: what they did, as lines to print. */
export async function moveState(direction: 'push' | 'pull', location: StateLocation, specFile: string, name: string): Promise<string[]> {
  const { pushState, pullState } = await import('./pg/state.js');
  return direction === 'push' ? [await pushState(location, specFile, name)] : pullState(location, specFile, name);
}
