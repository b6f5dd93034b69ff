import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { RenderError } from '../errors.js';
import { displayPath } from '../util/paths.js';

/** The lock this process holds. */
export interface ProcessLock {
  release(): void;
  /**
   * Throws LOCKED unless the lock is still this process's. A `.render/` deleted while the run goes on takes the
   * holder's file with it, and a second apply could then start and pay again for what this one has in flight: the
   * file is written again at once, unless another apply took the lock in the meantime (docs/ARCHITECTURE.md "State":
   * "The process lock"). One stat when nothing moved.
   */
  hold(): void;
}

interface Holder {
  pid: number;
  host: string;
  started_at: string;
  /** The process's start time in clock ticks (Linux /proc): a reused pid is told from the holder that died. */
  start_ticks?: number;
}

/**
 * One `render apply` per spec at a time (docs/ARCHITECTURE.md "State": "The process lock"). Each contender writes
 * its own file, `.render/<name>.apply.<pid>.<random>.json` (whole, by rename), then lists the folder: it holds the
 * lock only if no other live holder's file is there. Of two that overlap, the later lister always sees the earlier
 * one's file, so at most one goes on; both may step back, and then try again after a random pause. Nobody ever
 * deletes or renames a live holder's file: a file is removed only when its process is gone (same host, no such
 * pid, or the pid now belongs to a process started later). `release` also removes the folder if this call made it
 * and nothing else was put in it.
 */
export function acquireProcessLock(dir: string, name: string): ProcessLock {
  const made = !existsSync(dir);
  onDisk(dir, () => mkdirSync(dir, { recursive: true }));
  const prefix = `${name}.apply.`;
  const me: Holder = { pid: process.pid, host: hostname(), started_at: new Date().toISOString(), start_ticks: startTicks(process.pid) };
  const mine = path.join(dir, `${prefix}${process.pid}.${randomBytes(6).toString('hex')}.json`);
  const release = () => {
    rmSync(mine, { force: true });
    if (made) removeIfEmpty(dir);
  };
  const write = () => {
    const tmp = `${mine}.tmp`;
    onDisk(mine, () => {
      writeFileSync(tmp, JSON.stringify(me), { mode: 0o644 });
      renameSync(tmp, mine);
    });
  };
  let lost: RenderError | undefined;
  const hold = () => {
    if (lost) throw lost;
    if (existsSync(mine)) return;
    onDisk(dir, () => mkdirSync(dir, { recursive: true }));
    write();
    const taken = liveRival(dir, prefix, mine);
    if (!taken) return;
    rmSync(mine, { force: true });
    lost = lockTaken(dir, taken);
    throw lost;
  };
  let rival: Rival | undefined;
  for (let attempt = 0; attempt < 5; attempt++) {
    write();
    try {
      rival = liveRival(dir, prefix, mine);
    } catch (err) {
      release();
      throw err;
    }
    if (!rival) return { release, hold };
    rmSync(mine, { force: true });
    // Another holder, or another contender that will step back too: a random pause breaks the tie.
    if (!isRecent(rival.holder)) break;
    sleepSync(20 + Math.floor(Math.random() * 150));
  }
  if (made) removeIfEmpty(dir);
  throw lockedBy(rival);
}

interface Rival {
  holder: Holder;
  file: string;
}

function lockedBy(rival: Rival | undefined): RenderError {
  const h = rival?.holder;
  const who = h ? `pid ${h.pid} on ${h.host}, since ${h.started_at}` : 'another process';
  const hint =
    rival && h && h.host !== hostname()
      ? `render cannot tell whether a process on another machine is alive: wait for it to finish on ${h.host}, or, if that run is over, remove ${displayPath(rival.file)}`
      : 'wait for it to finish, or stop it (Ctrl-C); a run that died leaves no lock behind that blocks you';
  return new RenderError('LOCKED', `another render apply is running on this spec (${who})`, { hint });
}

function lockTaken(dir: string, rival: Rival): RenderError {
  const h = rival.holder;
  return new RenderError(
    'LOCKED',
    `${displayPath(dir)} was deleted while this apply ran, and another render apply (pid ${h.pid} on ${h.host}, since ${h.started_at}) took the process lock: this run submits nothing more`,
    {
      hint: 'let the other run finish, then run `render status`: what this run had in flight is in the lockfile; never delete .render/ while an apply runs',
    },
  );
}

/** The first other live holder's file in the folder; dead holders' files are removed on the way. */
function liveRival(dir: string, prefix: string, mine: string): Rival | undefined {
  for (const f of onDisk(dir, () => readdirSync(dir))) {
    if (!f.startsWith(prefix) || !f.endsWith('.json')) continue;
    const file = path.join(dir, f);
    if (file === mine) continue;
    const holder = readHolder(file);
    if (holder && isAlive(holder)) return { holder, file };
    // Its process is gone (or the file is not a holder's): it cannot be anybody's lock any more.
    if (!holder || holder.host === hostname()) onDisk(file, () => rmSync(file, { force: true }));
  }
  return undefined;
}

/** A file system step of the lock; what is in its way (a folder where a file goes, a file where the folder goes) is said, naming the path. */
function onDisk<T>(file: string, step: () => T): T {
  try {
    return step();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === undefined) throw err;
    const shown = displayPath(file);
    const folder = code === 'EISDIR' || code === 'ERR_FS_EISDIR';
    const notFolder = code === 'EEXIST' || code === 'ENOTDIR';
    if (!folder && !notFolder) throw new RenderError('FILE_UNREADABLE', `cannot take the process lock: ${shown}: ${code}`, { cause: err });
    const what = folder ? `${shown} is a folder, not a process lock file` : `${shown} is not a folder`;
    throw new RenderError('FILE_UNREADABLE', `cannot take the process lock: ${what}`, {
      hint: "move it out of the way: .render/ beside the spec holds render's own files",
      cause: err,
    });
  }
}

/** A holder that started a moment ago may be a contender that steps back: worth another try. */
function isRecent(h: Holder): boolean {
  return Date.now() - Date.parse(h.started_at) < 2_000;
}

function removeIfEmpty(dir: string): void {
  try {
    rmdirSync(dir); // fails, as it should, when a journal or another run's lock is in it
  } catch {
    // not empty, or already gone
  }
}

function readHolder(file: string): Holder | undefined {
  try {
    const h = JSON.parse(readFileSync(file, 'utf8')) as Partial<Holder>;
    return typeof h.pid === 'number' && typeof h.host === 'string' && typeof h.started_at === 'string' ? (h as Holder) : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(holder: Holder): boolean {
  if (holder.host !== hostname()) return true; // another machine: we cannot tell, so we respect it
  try {
    process.kill(holder.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const ticks = startTicks(holder.pid);
  return holder.start_ticks === undefined || ticks === undefined || ticks === holder.start_ticks;
}

/** Field 22 of /proc/<pid>/stat (Linux): when the process started. Undefined where there is no /proc. */
function startTicks(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[19]);
    return Number.isFinite(ticks) ? ticks : undefined;
  } catch {
    return undefined;
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
