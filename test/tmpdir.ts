import { chmodSync, mkdirSync, statfsSync } from 'node:fs';
import path from 'node:path';

/**
 * Where the suite's temp folders go (vitest.config.ts sets TMPDIR to it for the workers): a folder on the machine's
 * tmpfs, /dev/shm, where there is one with room. The tests make thousands of small files and fsync most of them (the
 * journal, the lockfile and its copy, downloads), rewrite one file byte by byte (a torn append at every byte), and
 * remove hundreds of folders; on a virtual disk each flush and each discard is a round trip to the host, most of
 * the suite's waiting and a tenth of its CPU. What the kill tests check is what a killed process leaves in its
 * files, which a tmpfs keeps as a disk does; what a power loss leaves is tested by tearing bytes on purpose.
 * `RENDER_TEST_TMPDIR` names another folder, or, empty, keeps the system's.
 */
export function testTmpdir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const given = env.RENDER_TEST_TMPDIR;
  if (given !== undefined) return given || undefined;
  const shm = '/dev/shm';
  try {
    const fs = statfsSync(shm);
    if (fs.type !== TMPFS_MAGIC || fs.bavail * fs.bsize < 2 * 1024 ** 3) return undefined;
    const dir = path.join(shm, `render-test-${process.getuid?.() ?? 'user'}`);
    mkdirSync(dir, { recursive: true });
    // As /tmp is: PostgreSQL's tests run the server as another user, in a folder made here.
    chmodSync(dir, 0o1777);
    return dir;
  } catch {
    return undefined; // no tmpfs here, or not ours to write: the system's temp folder
  }
}

/** statfs(2)'s f_type of a tmpfs. */
const TMPFS_MAGIC = 0x01021994;
