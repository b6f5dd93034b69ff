import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { RenderError } from '../../errors.js';
import { writeFileAtomic } from '../../util/atomic-file.js';
import { displayPath } from '../../util/paths.js';
import type { LoadedState } from '../backend.js';
import { journalPath, stateDir } from '../current.js';
import { lockfilePath, readLockfileOnDisk, serializeLockfile } from '../file.js';
import { acquireProcessLock } from '../process-lock.js';
import { emptyLockfile } from '../schema.js';
import type { StateLocation } from '../state-url.js';
import { LockStore } from '../store.js';
import { disagreement, insertCampaign, writeSnapshot } from './backend.js';
import { endRun, lockCampaign } from './campaign-lock.js';
import { connectState, type Db } from './connect.js';
import { agreementOf, elsewhereOf, loadCampaign, localSerial, replayCampaign } from './load.js';
import { migrate } from './migrations.js';

export { PgBackend } from './backend.js';

const workdirOf = (specFile: string) => path.dirname(path.resolve(specFile));

async function withDb<T>(location: StateLocation, command: string, fn: (db: Db) => Promise<T>): Promise<T> {
  const db = await connectState(location, { command });
  try {
    await migrate(db);
    return await fn(db);
  } finally {
    await db.close();
  }
}

/**
 * The campaign's state for a command that only reads (docs/ARCHITECTURE.md "Team state"): the database's snapshot
 * with the records after it, no lock taken. A lockfile beside the spec that is not one of the database's snapshots
 * is refused; one that is merely behind is a warning.
 */
export async function readPgState(location: StateLocation, specFile: string, name: string, command: string): Promise<LoadedState> {
  return withDb(location, command, async (db) => {
    const row = await loadCampaign(db, name, localSerial(specFile, name));
    const agreement = agreementOf(specFile, name, row);
    if (agreement.kind === 'diverged') throw disagreement(specFile, db.shown, agreement.why, row);
    if (!row) return { lock: emptyLockfile(name, path.basename(specFile), randomUUID()), warnings: [] };
    const shown = displayPath(lockfilePath(specFile, name));
    const warnings: string[] = [];
    if (agreement.kind === 'absent')
      warnings.push(
        `${shown} is missing here; the state database ${db.shown} has the campaign (serial ${row.serial}): \`render state pull ${displayPath(specFile)}\` writes it`,
      );
    else if (agreement.behind > 0)
      warnings.push(
        `${shown} (serial ${agreement.serial}) is behind the state database ${db.shown} (serial ${row.serial}): planned from the database; \`render state pull ${displayPath(specFile)}\` (or the next apply) updates it`,
      );
    return { lock: replayCampaign(row, db.shown), warnings, downloadedElsewhere: elsewhereOf(row, workdirOf(specFile)) };
  });
}

/**
 * `render state push SPEC`: the lockfile and any journal of an interrupted apply (compacted first, under the process
 * lock) go into a database that has no state for the campaign; the lockfile beside the spec is then its first
 * snapshot, byte for byte, and the journal in `.render/` is no longer needed.
 */
export async function pushState(location: StateLocation, specFile: string, name: string): Promise<string> {
  const file = lockfilePath(specFile, name);
  if (!existsSync(file) && !existsSync(journalPath(specFile, name))) {
    throw new RenderError('USAGE', `nothing to push: ${displayPath(file)} does not exist`, {
      hint: 'a campaign that never ran starts in the database with its first `render apply`',
    });
  }
  const { release } = acquireProcessLock(stateDir(specFile), name);
  try {
    await new LockStore(specFile, name).close();
    const text = readFileSync(file, 'utf8');
    const disk = readLockfileOnDisk(file, name);
    if (disk?.version !== 2) throw new RenderError('INTERNAL', `${displayPath(file)} was not compacted to version 2`);
    return await withDb(location, 'render state push', async (db) => {
      const runId = await lockCampaign(db, name, 'render state push', workdirOf(specFile));
      const row = await loadCampaign(db, name, 0);
      if (row) {
        await endRun(db, runId, 'refused');
        throw new RenderError(
          'USAGE',
          `the state database ${db.shown} already holds the campaign "${name}" (serial ${row.serial}): push fills only an empty one`,
          {
            hint: `\`render state pull ${displayPath(specFile)}\` writes its state beside the spec`,
          },
        );
      }
      await insertCampaign(db, disk.lock, text, runId);
      await endRun(db, runId, 'ok');
      rmSync(journalPath(specFile, name), { force: true }); // compacted: it held only its base record
      return `pushed "${name}" (serial ${disk.lock.serial}, ${takeCount(disk.lock)}) to ${db.shown}`;
    });
  } finally {
    release();
  }
}

/**
 * `render state pull SPEC`: write the database's state beside the spec. When no apply holds the campaign, records
 * after the last snapshot are compacted into a new one first; while one runs, the last snapshot is written (the
 * lockfile is always a snapshot the database knows). A lockfile that is not one is moved into `.render/`, never lost.
 * Refused while an apply runs in this folder (the process lock).
 */
export async function pullState(location: StateLocation, specFile: string, name: string): Promise<string[]> {
  // An apply in this folder writes the lockfile itself: a pull beside it could put an older snapshot back.
  const { release } = acquireProcessLock(stateDir(specFile), name);
  try {
    return await pullUnlocked(location, specFile, name);
  } finally {
    release();
  }
}

async function pullUnlocked(location: StateLocation, specFile: string, name: string): Promise<string[]> {
  return withDb(location, 'render state pull', async (db) => {
    let runId: number | undefined;
    let busy = '';
    try {
      runId = await lockCampaign(db, name, 'render state pull', workdirOf(specFile));
    } catch (err) {
      if (!(err instanceof RenderError && err.code === 'LOCKED')) throw err;
      busy = err.message.replace(/^.*: /, '');
    }
    const row = await loadCampaign(db, name, localSerial(specFile, name));
    if (!row) {
      if (runId !== undefined) await endRun(db, runId, 'refused');
      throw new RenderError('USAGE', `the state database ${db.shown} has no state for the campaign "${name}": nothing to pull`, {
        hint: `\`render state push ${displayPath(specFile)}\` imports a lockfile; a first \`render apply\` starts one`,
      });
    }
    const lines: string[] = [];
    let text = row.snapshot;
    let serial = row.serial;
    if (row.records.length > 0 && runId !== undefined) {
      const lock = replayCampaign(row, db.shown);
      if (serializeLockfile(lock) !== row.snapshot) {
        lock.serial += 1;
        text = serializeLockfile(lock);
        serial = lock.serial;
        await writeSnapshot(db, name, serial, text, runId);
      }
    } else if (row.records.length > 0) {
      lines.push(`${busy} holds the campaign: wrote its last snapshot; ${row.records.length} records since are not in it yet`);
    }
    const agreement = agreementOf(specFile, name, row);
    if (agreement.kind === 'diverged') lines.push(...moveAside(specFile, name, agreement.why));
    writeFileAtomic(lockfilePath(specFile, name), text);
    if (runId !== undefined) await endRun(db, runId, 'ok');
    lines.unshift(`wrote ${displayPath(lockfilePath(specFile, name))} (serial ${serial}) from ${db.shown}`);
    return lines;
  });
}

/** Keep what disagreed with the database in `.render/`, named by the time it was moved. */
function moveAside(specFile: string, name: string, why: string): string[] {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const out = [`the lockfile here disagreed with the database (${why})`];
  mkdirSync(stateDir(specFile), { recursive: true });
  for (const [from, to] of [
    [lockfilePath(specFile, name), path.join(stateDir(specFile), `${name}.diverged-${stamp}.lock.json`)],
    [journalPath(specFile, name), path.join(stateDir(specFile), `${name}.diverged-${stamp}.journal.ndjson`)],
  ] as const) {
    if (!existsSync(from)) continue;
    renameSync(from, to);
    out.push(`kept it as ${displayPath(to)}`);
  }
  return out;
}

function takeCount(lock: { endpoints: Record<string, { shots: Record<string, { takes: unknown[] }> }> }): string {
  let takes = 0;
  for (const e of Object.values(lock.endpoints)) for (const s of Object.values(e.shots)) takes += s.takes.length;
  return `${takes} take${takes === 1 ? '' : 's'} on ${Object.keys(lock.endpoints).length} endpoint${Object.keys(lock.endpoints).length === 1 ? '' : 's'}`;
}
