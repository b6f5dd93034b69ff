import type { Client } from 'pg';
import { RenderError } from '../../errors.js';
import { createRedactor, type Redactor } from '../../util/redact.js';
import { redactStateUrl, type StateLocation, stateUrlSecrets } from '../state-url.js';

/** One session with the state database, counting its round trips (the benchmark's figure). */
export interface Db {
  /** The URL with its password hidden: what messages show. */
  readonly shown: string;
  /** Queries sent (each one round trip). */
  roundTrips: number;
  query<R extends Record<string, unknown> = Record<string, unknown>>(text: string, values?: unknown[]): Promise<R[]>;
  close(): Promise<void>;
}

export interface ConnectOptions {
  /** `render apply`, `render state push`, ...: shown in `pg_stat_activity`. */
  command: string;
  /** Connecting may take this long (default 10 s). */
  connectTimeoutMs?: number;
  /** One query may take this long (default 60 s). */
  queryTimeoutMs?: number;
}

/**
 * Open a dedicated session (docs/ARCHITECTURE.md "Team state"). `pg` is imported here, only when a state URL is set:
 * the commands of a campaign kept in files never load it. TCP keepalives on both ends make a holder whose machine
 * vanished (no FIN, no RST) lose its session, and so its lock, within about two minutes on the server's side.
 */
export async function connectState(location: StateLocation, o: ConnectOptions): Promise<Db> {
  const shown = redactStateUrl(location.url);
  const redact = createRedactor(stateUrlSecrets(location.url));
  const pg = (await import('pg')).default;
  const client: Client = new pg.Client({
    connectionString: location.url,
    connectionTimeoutMillis: o.connectTimeoutMs ?? 10_000,
    query_timeout: o.queryTimeoutMs ?? 60_000,
    keepAlive: true,
    keepAliveInitialDelayMillis: 30_000,
    application_name: o.command.slice(0, 63),
    options: '-c tcp_keepalives_idle=60 -c tcp_keepalives_interval=10 -c tcp_keepalives_count=6',
  });
  let lost: Error | undefined;
  // A session that dies between queries emits 'error' on the client: kept, and thrown by the next query.
  client.on('error', (err) => {
    lost ??= err;
  });
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => undefined);
    throw stateError(err, shown, redact, 'connect');
  }
  const db: Db = {
    shown,
    roundTrips: 0,
    async query(text, values) {
      if (lost) throw stateError(lost, shown, redact, 'query');
      db.roundTrips++;
      try {
        const result = await client.query(text, values);
        return result.rows;
      } catch (err) {
        throw stateError(err, shown, redact, 'query');
      }
    },
    async close() {
      await client.end().catch(() => undefined);
    },
  };
  return db;
}

/** A library error as a RenderError: what went wrong and what to do, the URL's password never in it. */
function stateError(err: unknown, shown: string, redact: Redactor, phase: 'connect' | 'query'): RenderError {
  if (err instanceof RenderError) return err;
  const e = err as Error & { code?: string };
  const raw = redact(e?.message ?? String(err));
  const code = e?.code;
  const where = `the state database ${shown}`;
  let message: string;
  let hint: string;
  if (code === 'ECONNREFUSED') {
    message = `cannot reach ${where}: connection refused`;
    hint = 'is PostgreSQL running and listening there? check the host and port of the state URL';
  } else if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    message = `cannot reach ${where}: unknown host`;
    hint = 'check the host name in the state URL';
  } else if (code === 'ETIMEDOUT' || /timeout/i.test(raw)) {
    message = `${where} did not answer in time (${phase === 'connect' ? 'connecting' : 'a query'}): ${raw}`;
    hint = 'check the network path to the database (a firewall drops the packets?), then run again: what was recorded is kept';
  } else if (code === '28P01' || code === '28000') {
    message = `${where} refused the login: ${raw}`;
    hint = 'check the user and password in the state URL (the password is never printed)';
  } else if (code === '3D000') {
    message = `${where} does not exist: ${raw}`;
    hint = 'create it first (createdb), or fix the database name in the state URL';
  } else if (code === '42501') {
    message = `${where} refused: ${raw}`;
    hint = "the state URL's user needs the rights to create render's tables the first time (GRANT CREATE ON SCHEMA public), then to read and write them";
  } else if (phase === 'connect' && /terminat|ECONNRESET|EPIPE|closed/i.test(`${raw} ${code ?? ''}`)) {
    message = `cannot reach ${where}: the server closed the connection (${raw})`;
    hint = 'is a PostgreSQL server listening at that host and port (not another service)? does it require SSL (add ?sslmode=require)?';
  } else if (phase === 'query' && /terminat|ECONNRESET|EPIPE|closed/i.test(`${raw} ${code ?? ''}`)) {
    message = `the connection to ${where} was lost: ${raw}`;
    hint = 'run again once the database is back: every record made durable before the loss is kept, and the lock died with the session';
  } else {
    message = `${where}: ${raw}${code ? ` (${code})` : ''}`;
    hint = 'check the state URL and the database; RENDER_DEBUG=1 shows the cause';
  }
  return new RenderError('STATE_UNAVAILABLE', message, { hint, cause: Object.assign(new Error(raw), code ? { code } : {}) });
}

/** The SQLSTATE (or Node error code) behind a state error, when there was one. */
export function pgCodeOf(err: unknown): string | undefined {
  const cause = err instanceof RenderError ? err.cause : err;
  const code = (cause as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}
