import { RenderError } from '../../errors.js';
import { type Db, pgCodeOf } from './connect.js';

/**
 * The state database's schema, as versioned migrations (docs/ARCHITECTURE.md "Team state"). Each runs once, in
 * order, in one transaction with its row in `render_schema_migrations`; every command that connects checks the
 * version first (one query when it is current). Never edit a migration that shipped: add the next one.
 *
 * Tables are prefixed `render_` (a shared database often has another tool's `schema_migrations`).
 */
const MIGRATIONS: readonly { version: number; name: string; sql: string }[] = [
  {
    version: 1,
    name: 'campaigns, records and runs',
    sql: `
CREATE TABLE render_campaigns (
  name text PRIMARY KEY,
  lineage text NOT NULL,
  serial integer NOT NULL,
  snapshot text NOT NULL,
  snapshot_seq bigint NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE render_runs (
  id bigserial PRIMARY KEY,
  campaign text NOT NULL,
  command text NOT NULL,
  host text NOT NULL,
  pid integer NOT NULL,
  os_user text,
  backend_pid integer NOT NULL,
  started_at timestamptz NOT NULL DEFAULT now(),
  ended_at timestamptz,
  outcome text
);
CREATE TABLE render_records (
  seq bigserial PRIMARY KEY,
  campaign text NOT NULL REFERENCES render_campaigns (name) ON DELETE CASCADE,
  kind text NOT NULL,
  rec text NOT NULL,
  written_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX render_records_campaign_seq ON render_records (campaign, seq);
`,
  },
  {
    version: 2,
    name: 'snapshot history, takes by key, the run (and its folder) that wrote each record',
    sql: `
ALTER TABLE render_runs ADD COLUMN workdir text;
ALTER TABLE render_records
  ADD COLUMN run_id bigint REFERENCES render_runs (id),
  ADD COLUMN endpoint text,
  ADD COLUMN shot text,
  ADD COLUMN n integer;
UPDATE render_records SET
  endpoint = rec::jsonb ->> 'endpoint',
  shot = rec::jsonb ->> 'shot',
  n = coalesce(rec::jsonb ->> 'n', rec::jsonb -> 'take' ->> 'n')::integer
WHERE position('\\u0000' in rec) = 0;
CREATE INDEX render_records_take ON render_records (campaign, endpoint, shot, n);
CREATE TABLE render_snapshots (
  campaign text NOT NULL REFERENCES render_campaigns (name) ON DELETE CASCADE,
  serial integer NOT NULL,
  sha256 text NOT NULL,
  run_id bigint REFERENCES render_runs (id),
  written_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (campaign, serial)
);
INSERT INTO render_snapshots (campaign, serial, sha256)
  SELECT name, serial, encode(sha256(convert_to(snapshot, 'UTF8')), 'hex') FROM render_campaigns;
CREATE VIEW render_takes AS
  SELECT c.name AS campaign, e.key AS endpoint, s.key AS shot, (t ->> 'n')::integer AS n,
         (s.value ->> 'current')::integer IS NOT DISTINCT FROM (t ->> 'n')::integer AS current,
         t ->> 'status' AS status, t ->> 'prediction_id' AS prediction_id, (t ->> 'cost_cents')::integer AS cost_cents,
         t ->> 'submitted_at' AS submitted_at, t ->> 'completed_at' AS completed_at, c.serial AS as_of_serial
  FROM render_campaigns c,
       jsonb_each(c.snapshot::jsonb -> 'endpoints') e,
       jsonb_each(e.value -> 'shots') s,
       jsonb_array_elements(s.value -> 'takes') t;
`,
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/** The advisory lock key space of render (classid): migrations take (RENDER_LOCK_CLASS, 0), campaigns their own. */
export const RENDER_LOCK_CLASS = 7361;

/**
 * Bring the schema to SCHEMA_VERSION: the migrations not yet applied, in order, under a transaction-scoped advisory
 * lock (two first runs at once: one migrates, the other then sees it done). A database of a newer render is refused.
 * Returns the version found and the version now.
 */
export async function migrate(db: Db, upTo = SCHEMA_VERSION): Promise<{ from: number; to: number }> {
  const from = await schemaVersion(db);
  if (from === upTo) return { from, to: from };
  if (from > SCHEMA_VERSION) throw newerSchema(db, from);
  await db.query('BEGIN');
  try {
    await db.query('SELECT pg_advisory_xact_lock($1, 0)', [RENDER_LOCK_CLASS]);
    await db.query(
      'CREATE TABLE IF NOT EXISTS render_schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())',
    );
    const rows = await db.query<{ v: number | null }>('SELECT max(version) AS v FROM render_schema_migrations');
    const now = rows[0]?.v ?? 0;
    if (now > SCHEMA_VERSION) throw newerSchema(db, now);
    for (const m of MIGRATIONS) {
      if (m.version <= now || m.version > upTo) continue;
      await db.query(m.sql);
      await db.query('INSERT INTO render_schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
    }
    await db.query('COMMIT');
  } catch (err) {
    await db.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
  return { from, to: upTo };
}

/** The schema version of the database: 0 when render's tables are not there. */
export async function schemaVersion(db: Db): Promise<number> {
  try {
    const rows = await db.query<{ v: number | null }>('SELECT max(version) AS v FROM render_schema_migrations');
    return Number(rows[0]?.v ?? 0);
  } catch (err) {
    // 42P01, undefined_table: a database render never used (one round trip in the usual case, not two).
    if (pgCodeOf(err) === '42P01') return 0;
    throw err;
  }
}

function newerSchema(db: Db, version: number): RenderError {
  return new RenderError(
    'STATE_UNAVAILABLE',
    `the state database ${db.shown} has schema version ${version}; this render knows versions up to ${SCHEMA_VERSION}`,
    {
      hint: 'a newer render migrated it: upgrade render (npm install) before using this campaign',
    },
  );
}
