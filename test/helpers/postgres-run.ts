import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';

/**
 * The test run's PostgreSQL folder (vitest.config.ts `globalSetup`): made empty when the run starts, so nothing
 * starts for a run without a state-database test; the first test file that needs the server starts it there
 * (test/helpers/postgres.ts), and the others of the run use that one. When the run ends, failed or not, the
 * server is stopped and the folder removed. The folder is named by this process's pid: a run killed before its
 * teardown leaves one whose owner is gone, and the next run stops that server and removes it.
 */

const PREFIX = 'render-pg-run-';

declare module 'vitest' {
  export interface ProvidedContext {
    /** This run's PostgreSQL folder. */
    postgresRunDir: string;
  }
}

export default function setup(project: TestProject): () => Promise<void> {
  for (const left of readdirSync(tmpdir()).filter((f) => f.startsWith(PREFIX))) {
    const owner = Number(left.slice(PREFIX.length).split('-')[0]);
    if (!isAlive(owner)) void stopAndRemove(path.join(tmpdir(), left));
  }
  const dir = mkdtempSync(path.join(tmpdir(), `${PREFIX}${process.pid}-`));
  project.provide('postgresRunDir', dir);
  return () => stopAndRemove(dir);
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Fast shutdown of the folder's server, if one runs (it removes postmaster.pid when down), then the folder. */
async function stopAndRemove(dir: string): Promise<void> {
  const pidFile = path.join(dir, 'data', 'postmaster.pid');
  const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').split('\n')[0]) : 0;
  if (pid > 0 && isAlive(pid)) {
    process.kill(pid, 'SIGINT'); // fast shutdown: sessions are ended, nothing waits
    const deadline = Date.now() + 20_000;
    while (existsSync(pidFile) && isAlive(pid)) {
      if (Date.now() > deadline) {
        process.kill(pid, 'SIGKILL');
        break;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  rmSync(dir, { recursive: true, force: true });
}
