import { hostname, userInfo } from 'node:os';
import { RenderError } from '../../errors.js';
import type { Db } from './connect.js';
import { RENDER_LOCK_CLASS } from './migrations.js';

/**
 * One writer per campaign across every machine (docs/ARCHITECTURE.md "Team state"): a session-level advisory lock
 * keyed (RENDER_LOCK_CLASS, hashtext(name)), held by the run's own session, so it dies with the session: a killed
 * run, or a machine gone from the network (TCP keepalives), releases it; a live one never loses it to another.
 * Each holder writes a `render_runs` row first (host, pid, the spec's folder), which is how a refused contender can
 * say who holds the lock, and how a teammate's plan can say where a video was downloaded.
 * Returns the run's id.
 */
export async function lockCampaign(db: Db, name: string, command: string, workdir: string): Promise<number> {
  const user = safeUser();
  const rows = await db.query<{ id: string; ok: boolean }>(
    `WITH run AS (
       INSERT INTO render_runs (campaign, command, host, pid, os_user, workdir, backend_pid) VALUES ($1, $2, $3, $4, $5, $7, pg_backend_pid()) RETURNING id
     )
     SELECT run.id, pg_try_advisory_lock($6, hashtext($1)) AS ok FROM run`,
    [name, command, hostname(), process.pid, user, RENDER_LOCK_CLASS, workdir],
  );
  const id = Number(rows[0]!.id);
  if (rows[0]!.ok) {
    // Runs of this campaign whose session is gone died holding the lock: say so in the history.
    await db.query(
      "UPDATE render_runs SET ended_at = now(), outcome = 'died' WHERE campaign = $1 AND ended_at IS NULL AND id <> $2 AND backend_pid NOT IN (SELECT pid FROM pg_stat_activity WHERE pid IS NOT NULL)",
      [name, id],
    );
    return id;
  }
  const holders = await db.query<{ host: string; pid: number; command: string; started_at: Date }>(
    `SELECT host, pid, command, started_at FROM render_runs
     WHERE campaign = $1 AND ended_at IS NULL AND id <> $2
       AND backend_pid IN (SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = $3 AND objsubid = 2)
     ORDER BY id DESC LIMIT 1`,
    [name, id, RENDER_LOCK_CLASS],
  );
  await db.query('DELETE FROM render_runs WHERE id = $1', [id]);
  const h = holders[0];
  const who = h ? `\`${h.command}\` as pid ${h.pid} on ${h.host}, since ${h.started_at.toISOString()}` : 'another render';
  throw new RenderError('LOCKED', `the campaign "${name}" is locked in the state database ${db.shown}: ${who} holds it`, {
    hint: 'wait for it to finish (or stop it there); a run that died releases the lock with its database session',
  });
}

/** Record how the run ended (the lock itself goes with the session). */
export async function endRun(db: Db, id: number, outcome: string): Promise<void> {
  await db.query('UPDATE render_runs SET ended_at = now(), outcome = $2 WHERE id = $1', [id, outcome]);
}

function safeUser(): string | null {
  try {
    return userInfo().username;
  } catch {
    return null;
  }
}
