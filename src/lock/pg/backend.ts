import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { RenderError } from '../../errors.js';
import { writeFileAtomic } from '../../util/atomic-file.js';
import { sha256Hex } from '../../util/canonical-json.js';
import { displayPath } from '../../util/paths.js';
import type { LoadedState, StateBackend, StoreFigures } from '../backend.js';
import type { CurrentLock } from '../current.js';
import { lockfilePath, serializeLockfile } from '../file.js';
import type { JournalRecord } from '../records.js';
import { emptyLockfile, type Lockfile } from '../schema.js';
import type { StateLocation } from '../state-url.js';
import { endRun, lockCampaign } from './campaign-lock.js';
import { connectState, type Db } from './connect.js';
import { agreementOf, type CampaignRow, elsewhereOf, loadCampaign, localSerial, replayCampaign } from './load.js';
import { migrate } from './migrations.js';

export interface OpenPgOptions {
  location: StateLocation;
  specFile: string;
  name: string;
  /** `render apply`, `render adopt`, ...: recorded in `render_runs` and shown to a refused contender. */
  command: string;
  connectTimeoutMs?: number;
}

/**
 * The campaign's state in PostgreSQL (docs/ARCHITECTURE.md "Team state"), for a run that writes: one dedicated
 * session holding the campaign's advisory lock, its records inserted as they come (the records of one moment share
 * one INSERT, one round trip and one commit: group commit), snapshots written to `render_campaigns` and, once
 * committed, to the lockfile beside the spec, so git shows what changed and `plan` works offline.
 */
export class PgBackend implements StateBackend {
  readonly snapshotsMoney = false;
  downloadedElsewhere: LoadedState['downloadedElsewhere'];
  pending = 0;
  private queue: { rec: JournalRecord; resolve: () => void; reject: (e: unknown) => void }[] = [];
  private flushing: Promise<void> | undefined;
  private snapshots: Promise<void> = Promise.resolve();
  private failed: Error | undefined;
  private readonly lockFile: string;
  private figures = { lockfileBytes: 0, lockfileWrites: 0, journalBytes: 0, journalRecords: 0 };
  private diskWritten: string | undefined;

  private constructor(
    private readonly db: Db,
    private readonly campaign: string,
    private readonly runId: number,
    readonly loaded: CurrentLock,
    /** The snapshot text the database holds now. */
    private dbText: string,
    specFile: string,
  ) {
    this.lockFile = lockfilePath(specFile, campaign);
  }

  /** Connect, migrate, take the campaign's lock, load and check the state; the caller closes it. */
  static async open(o: OpenPgOptions): Promise<PgBackend> {
    const db = await connectState(o.location, { command: o.command, connectTimeoutMs: o.connectTimeoutMs });
    try {
      await migrate(db);
      const workdir = path.dirname(path.resolve(o.specFile));
      const runId = await lockCampaign(db, o.name, o.command, workdir);
      const row = await loadCampaign(db, o.name, localSerial(o.specFile, o.name));
      const agreement = agreementOf(o.specFile, o.name, row);
      if (agreement.kind === 'diverged') throw disagreement(o.specFile, db.shown, agreement.why, row);
      const { lock, text } = row ? { lock: replayCampaign(row, db.shown), text: row.snapshot } : await createCampaign(db, o.specFile, o.name, runId);
      const diskText = agreement.kind === 'snapshot' && agreement.behind === 0 ? text : undefined;
      const backend = new PgBackend(db, o.name, runId, { lock, ...(diskText ? { diskText } : {}) }, text, o.specFile);
      if (row) backend.downloadedElsewhere = elsewhereOf(row, workdir);
      return backend;
    } catch (err) {
      await db.close();
      throw err;
    }
  }

  append(rec: JournalRecord): Promise<void> {
    if (this.failed) return Promise.reject(this.failed);
    this.pending++;
    this.figures.journalRecords++;
    return new Promise((resolve, reject) => {
      this.queue.push({ rec, resolve, reject });
      this.flushing ??= this.flush();
    });
  }

  /** The records of this moment in one INSERT: durable (committed) when it returns. */
  private async flush(): Promise<void> {
    await new Promise((r) => setImmediate(r));
    while (this.queue.length > 0) {
      const batch = this.queue;
      this.queue = [];
      const texts = batch.map((b) => JSON.stringify(b.rec));
      try {
        await this.db.query(
          `INSERT INTO render_records (campaign, run_id, kind, endpoint, shot, n, rec)
           SELECT $1, $2, k, e, s, n, r FROM unnest($3::text[], $4::text[], $5::text[], $6::integer[], $7::text[]) AS t (k, e, s, n, r)`,
          [
            this.campaign,
            this.runId,
            batch.map((b) => b.rec.t),
            batch.map((b) => ('endpoint' in b.rec ? b.rec.endpoint : null)),
            batch.map((b) => ('shot' in b.rec ? b.rec.shot : null)),
            batch.map((b) => takeNumber(b.rec)),
            texts,
          ],
        );
        for (const t of texts) this.figures.journalBytes += Buffer.byteLength(t);
        for (const b of batch) b.resolve();
      } catch (err) {
        this.failed ??= err instanceof Error ? err : new Error(String(err));
        for (const b of batch) b.reject(err);
      }
    }
    this.flushing = undefined;
  }

  /**
   * A new snapshot when the state changed (serial + 1), committed with its hash, then written beside the spec; a
   * lockfile beside the spec that is behind the database is brought up to date even when nothing changed.
   */
  snapshot(lock: Lockfile): void {
    const same = serializeLockfile(lock) === this.dbText;
    this.pending = 0; // records that changed nothing need no snapshot either
    if (!same) {
      lock.serial += 1;
      this.dbText = serializeLockfile(lock);
    }
    const text = this.dbText;
    const serial = lock.serial;
    this.snapshots = this.snapshots.then(async () => {
      if (this.failed) return;
      try {
        if (!same) await writeSnapshot(this.db, this.campaign, serial, text, this.runId);
        this.writeLockfile(text);
      } catch (err) {
        this.failed ??= err instanceof Error ? err : new Error(String(err));
      }
    });
  }

  /** Write the lockfile beside the spec, unless it already holds this text. */
  private writeLockfile(text: string): void {
    if (text === (this.diskWritten ?? this.loaded.diskText)) return;
    writeFileAtomic(this.lockFile, text);
    this.diskWritten = text;
    this.figures.lockfileBytes += Buffer.byteLength(text);
    this.figures.lockfileWrites++;
  }

  async drain(): Promise<void> {
    while (this.flushing) await this.flushing;
    await this.snapshots;
    if (this.failed) throw this.failed;
  }

  async close(ok: boolean): Promise<void> {
    try {
      await this.drain().catch(() => undefined);
      if (!this.failed) await endRun(this.db, this.runId, ok ? 'ok' : 'failed');
    } finally {
      await this.db.close(); // the campaign's lock ends with the session
    }
  }

  stats(): StoreFigures {
    return { ...this.figures, dbRoundTrips: this.db.roundTrips };
  }
}

function takeNumber(rec: JournalRecord): number | null {
  if ('n' in rec) return rec.n;
  if (rec.t === 'intent') return rec.take.n;
  return null;
}

/** The snapshot and its hash, in one statement (one round trip, one commit). */
export async function writeSnapshot(db: Db, campaign: string, serial: number, text: string, runId: number | null): Promise<void> {
  await db.query(
    `WITH s AS (INSERT INTO render_snapshots (campaign, serial, sha256, run_id) VALUES ($1, $2, $3, $4))
     UPDATE render_campaigns SET serial = $2, snapshot = $5, updated_at = now(),
       snapshot_seq = (SELECT coalesce(max(seq), 0) FROM render_records WHERE campaign = $1)
     WHERE name = $1`,
    [campaign, serial, sha256Hex(text), runId, text],
  );
}

/** A campaign the database has never seen, and no lockfile beside the spec: it starts here, empty. */
async function createCampaign(db: Db, specFile: string, name: string, runId: number): Promise<{ lock: Lockfile; text: string }> {
  const lock = emptyLockfile(name, path.basename(specFile), randomUUID());
  const text = serializeLockfile(lock);
  await insertCampaign(db, lock, text, runId);
  return { lock, text };
}

/** Insert a campaign with its first snapshot (`render state push`, or a first apply). */
export async function insertCampaign(db: Db, lock: Lockfile, text: string, runId: number | null): Promise<void> {
  await db.query(
    `WITH c AS (INSERT INTO render_campaigns (name, lineage, serial, snapshot) VALUES ($1, $2, $3, $4) RETURNING name)
     INSERT INTO render_snapshots (campaign, serial, sha256, run_id) SELECT name, $3, $5, $6 FROM c`,
    [lock.name, lock.lineage, lock.serial, text, sha256Hex(text), runId],
  );
}

/** The lockfile beside the spec is not a snapshot of the database: refused, with the ways out. */
export function disagreement(specFile: string, shown: string, why: string, row: CampaignRow | undefined): RenderError {
  const spec = displayPath(specFile);
  if (!row) {
    return new RenderError('LOCKFILE_INVALID', `${why}: planning from the empty database would pay again for every shot the lockfile records`, {
      hint: `import it first: \`render state push ${spec}\` (the lockfile and any journal in .render/ go into ${shown})`,
    });
  }
  return new RenderError(
    'LOCKFILE_INVALID',
    `${why}; the state database ${shown} (serial ${row.serial}) is the campaign's record, and the lockfile is never trusted over it`,
    {
      hint: `\`render state pull ${spec}\` writes the database's state beside the spec and moves this lockfile into .render/ (kept, never deleted); if it records renders the database lacks, resolve those shots with \`render adopt\` after the pull`,
    },
  );
}
