import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';

/**
 * Write a file atomically: a temp file beside the target, fsync, rename over it, fsync the folder. A reader sees
 * the old bytes or the new ones, never a mix; a kill leaves at most a `*.tmp` beside it (swept by the next apply).
 */
export function writeFileAtomic(file: string, text: string | Uint8Array): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${Date.now().toString(36)}.tmp`;
  const fd = openSync(tmp, 'w', 0o644);
  try {
    if (typeof text === 'string') writeSync(fd, text);
    else writeSync(fd, text);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
  closeSync(fd);
  try {
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true }); // e.g. the target is a folder: leave nothing behind
    throw err;
  }
  try {
    const dir = openSync(path.dirname(file), 'r');
    fsyncSync(dir);
    closeSync(dir);
  } catch {
    // not every platform can fsync a folder; the rename is still atomic
  }
}
