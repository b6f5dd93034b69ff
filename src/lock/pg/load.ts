import { hostname } from 'node:os';
import { RenderError } from '../../errors.js';
import { sha256Hex } from '../../util/canonical-json.js';
import { displayPath } from '../../util/paths.js';
import type { LoadedState } from '../backend.js';
import { journalPath, replayChecked } from '../current.js';
import { lockfilePath, readLockfileOnDisk, serializeLockfile } from '../file.js';
import { readJournal } from '../journal.js';
import { RECORD_KINDS, type JournalRecord } from '../records.js';
import { applyRecord } from '../reducer.js';
import { getLockSchemas, type Lockfile } from '../schema.js';
import type { Db } from './connect.js';

/** What the database holds for a campaign: its last snapshot and the records after it. */
export interface CampaignRow {
  lineage: string;
  serial: number;
  /** The lockfile text of the last snapshot, byte for byte. */
  snapshot: string;
  /** Records after the snapshot, in order (JSON text). */
  records: string[];
  /** The sha256 the database recorded for the lockfile serial found on disk, if it has one. */
  diskSerialSha?: string;
  /** Where each take's outputs were downloaded, `host:folder` (the runs of its `output` records, the latest first), by `takeKey`. */
  outputHosts: Map<string, string[]>;
}

/**
 * One statement, so one consistent view even while an apply elsewhere appends: the campaign's snapshot, the
 * records after it, the snapshot hash at the serial the local lockfile has, and who downloaded what.
 */
const LOAD = `
SELECT c.lineage, c.serial, c.snapshot,
  (SELECT coalesce(json_agg(r.rec ORDER BY r.seq), '[]'::json) FROM render_records r WHERE r.campaign = c.name AND r.seq > c.snapshot_seq) AS records,
  (SELECT s.sha256 FROM render_snapshots s WHERE s.campaign = c.name AND s.serial = $2) AS disk_serial_sha,
  (SELECT coalesce(json_agg(json_build_array(r.endpoint, r.shot, r.n, u.host, u.workdir) ORDER BY r.seq DESC), '[]'::json)
     FROM render_records r JOIN render_runs u ON u.id = r.run_id WHERE r.campaign = c.name AND r.kind = 'output') AS output_hosts
FROM render_campaigns c WHERE c.name = $1`;

export async function loadCampaign(db: Db, name: string, diskSerial: number): Promise<CampaignRow | undefined> {
  const rows = await db.query<{
    lineage: string;
    serial: number;
    snapshot: string;
    records: string[];
    disk_serial_sha: string | null;
    output_hosts: [string, string, number, string, string | null][];
  }>(LOAD, [name, diskSerial]);
  const row = rows[0];
  if (!row) return undefined;
  const outputHosts = new Map<string, string[]>();
  for (const [endpoint, shot, n, host, workdir] of row.output_hosts) {
    const key = takeKey(endpoint, shot, n);
    const where = workdir ? `${host}:${workdir}` : host;
    const seen = outputHosts.get(key) ?? [];
    if (!seen.includes(where)) outputHosts.set(key, [...seen, where]);
  }
  return {
    lineage: row.lineage,
    serial: row.serial,
    snapshot: row.snapshot,
    records: row.records,
    ...(row.disk_serial_sha ? { diskSerialSha: row.disk_serial_sha } : {}),
    outputHosts,
  };
}

function takeKey(endpoint: string, shot: string, n: number): string {
  return `${endpoint}\n${shot}\n${n}`;
}

/**
 * The snapshot with the records after it replayed by the one reducer: the campaign's state now. Each record is
 * checked as the journal's are (a known kind, and a state that still fits the lockfile's schema after it): a record
 * render did not write is refused, naming it, never half applied.
 */
export function replayCampaign(row: CampaignRow, shown: string): Lockfile {
  const parsed = getLockSchemas().LockfileSchema.safeParse(JSON.parse(row.snapshot));
  if (!parsed.success) {
    throw new RenderError('STATE_UNAVAILABLE', `the state database ${shown} holds a snapshot render cannot read (serial ${row.serial})`, {
      hint: 'it was written by another program or edited by hand; restore the database from a backup',
    });
  }
  const snapshot = parsed.data as Lockfile;
  const records = row.records.map((text, i) => recordOf(text, i, row, shown));
  const checked = replayChecked(records, (recs) => {
    const lock = structuredClone(snapshot);
    for (const rec of recs) applyRecord(lock, rec);
    return lock;
  });
  if ('lock' in checked) return checked.lock;
  throw badRecord(row, shown, checked.bad, `its "${records[checked.bad]!.t}" record leaves ${checked.where}`);
}

function recordOf(text: string, i: number, row: CampaignRow, shown: string): JournalRecord {
  let rec: unknown;
  try {
    rec = JSON.parse(text);
  } catch {
    throw badRecord(row, shown, i, 'is not JSON');
  }
  const kind = rec && typeof rec === 'object' && !Array.isArray(rec) ? (rec as { t?: unknown }).t : undefined;
  if (typeof kind !== 'string' || kind === 'base' || !RECORD_KINDS.has(kind))
    throw badRecord(row, shown, i, `is not a record render writes (${JSON.stringify(kind ?? null)})`);
  return rec as JournalRecord;
}

function badRecord(row: CampaignRow, shown: string, i: number, what: string): RenderError {
  return new RenderError(
    'STATE_UNAVAILABLE',
    `the state database ${shown} holds a record render will not apply: record ${i + 1} after snapshot serial ${row.serial} ${what}`,
    {
      hint: 'render writes every record itself: it was written by another program or edited by hand; restore the database from a backup (render will not guess what it recorded)',
    },
  );
}

/** How the lockfile beside the spec stands to the database (docs/ARCHITECTURE.md "Team state"). */
export type Agreement =
  | { kind: 'absent' }
  /** A snapshot the database wrote: the latest (`behind` 0) or an older one. */
  | { kind: 'snapshot'; serial: number; behind: number }
  /** Anything else: never trusted over the database, never silently replaced. */
  | { kind: 'diverged'; why: string };

/** The local lockfile's serial (0 when there is none or it cannot be read): what `loadCampaign` asks the hash of. */
export function localSerial(specFile: string, name: string): number {
  try {
    const disk = readLockfileOnDisk(lockfilePath(specFile, name), name);
    return disk?.version === 2 ? disk.lock.serial : 0;
  } catch {
    return 0;
  }
}

/**
 * Compare the lockfile beside the spec (and any journal a file-backed apply left in `.render/`) with the
 * database's campaign. The lockfile is compared by content (its canonical text's sha256 against the hash the
 * database recorded for that serial), so a reformatted checkout (line endings) still agrees.
 */
export function agreementOf(specFile: string, name: string, row: CampaignRow | undefined): Agreement {
  const shown = displayPath(lockfilePath(specFile, name));
  const journal = readJournal(journalPath(specFile, name)).filter((l) => l.rec.t !== 'base');
  if (journal.length > 0) {
    return { kind: 'diverged', why: `${displayPath(journalPath(specFile, name))} holds ${journal.length} records of an apply that kept its state in files` };
  }
  let disk: ReturnType<typeof readLockfileOnDisk>;
  try {
    disk = readLockfileOnDisk(lockfilePath(specFile, name), name);
  } catch (err) {
    return { kind: 'diverged', why: err instanceof Error ? err.message : String(err) };
  }
  if (!disk) return { kind: 'absent' };
  if (disk.version === 1) return { kind: 'diverged', why: `${shown} is a version 1 lockfile, never written by the database` };
  const lock = disk.lock;
  if (!row) return { kind: 'diverged', why: `${shown} exists, and the database has no state for "${name}"` };
  if (lock.lineage !== row.lineage) {
    return { kind: 'diverged', why: `${shown} is of another lineage (${lock.lineage.slice(0, 8)}) than the database's (${row.lineage.slice(0, 8)})` };
  }
  if (lock.serial > row.serial) {
    return {
      kind: 'diverged',
      why: `${shown} is at serial ${lock.serial}, past the database's ${row.serial}: it was written by an apply without the state database`,
    };
  }
  if (row.diskSerialSha !== sha256Hex(serializeLockfile(lock))) {
    return {
      kind: 'diverged',
      why: `${shown} (serial ${lock.serial}) is not the snapshot the database wrote at that serial: it was edited, merged, or written without the database`,
    };
  }
  return { kind: 'snapshot', serial: lock.serial, behind: row.serial - lock.serial };
}

/**
 * Where a take's outputs were downloaded, when that was another machine or folder than this one: every such place,
 * the latest first (a CI runner's folder may be gone; a teammate's laptop may still have it).
 */
export function elsewhereOf(row: CampaignRow, workdir: string): LoadedState['downloadedElsewhere'] {
  const here = `${hostname()}:${workdir}`;
  return (endpoint, shot, n) => {
    const places = (row.outputHosts.get(takeKey(endpoint, shot, n)) ?? []).filter((where) => where !== here);
    return places.length > 0 ? places.join(' or ') : undefined;
  };
}
