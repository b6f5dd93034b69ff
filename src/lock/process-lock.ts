import { existsSync, linkSync, mkdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { RenderError } from '../errors.js';

interface Holder {
  pid: number;
  host: string;
  started_at: string;
}

/**
 * One `render apply` per spec at a time: `.render/<name>.pid`, created exclusively. A holder that is dead
 * (same host, no such process) cannot keep it: its file is taken over. Returns a release function, which also
 * removes the folder if this call made it and nothing else was put in it: an apply refused before it ran
 * (over budget, stale plan, no confirmation) leaves the spec's folder as it found it.
 */
export function acquireProcessLock(dir: string, name: string): () => void {
  const made = !existsSync(dir);
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.pid`);
  const me: Holder = { pid: process.pid, host: hostname(), started_at: new Date().toISOString() };
  const release = () => {
    rmSync(file, { force: true });
    if (made) removeIfEmpty(dir);
  };
  // Written whole to a private file, then hard-linked into place: link() fails if the lock exists, and a
  // reader never sees a lock file without its holder (an empty one would look stale and be taken over).
  const mine = `${file}.${process.pid}.tmp`;
  writeFileSync(mine, JSON.stringify(me), { mode: 0o644 });
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      if (tryLink(mine, file)) return release;
      const holder = readHolder(file);
      if (holder && isAlive(holder)) {
        if (made) removeIfEmpty(dir);
        throw new RenderError('LOCKED', `another render apply is running on this spec (pid ${holder.pid} on ${holder.host}, since ${holder.started_at})`, {
          hint: 'wait for it to finish, or stop it (Ctrl-C); a run that died leaves no lock behind that blocks you',
        });
      }
      rmSync(file, { force: true }); // stale: its process is gone
    }
  } finally {
    rmSync(mine, { force: true });
  }
  throw new RenderError('LOCKED', `could not take the process lock ${file}`, { hint: 'run again' });
}

function tryLink(from: string, to: string): boolean {
  try {
    linkSync(from, to);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
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
    return typeof h.pid === 'number' && typeof h.host === 'string' ? (h as Holder) : undefined;
  } catch {
    return undefined; // unreadable or torn: treated as stale
  }
}

function isAlive(holder: Holder): boolean {
  if (holder.host !== hostname()) return true; // another machine: we cannot tell, so we respect it
  if (holder.pid === process.pid) return false;
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
