import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/** The last `bytes` of a file (where a lockfile's wal is), read without reading megabytes each time it is polled. */
export function tailOf(file: string, bytes: number): string {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const buf = Buffer.alloc(Math.min(size, bytes));
    readSync(fd, buf, 0, buf.length, size - buf.length);
    return buf.toString();
  } finally {
    closeSync(fd);
  }
}
