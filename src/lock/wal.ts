import { closeSync, fdatasyncSync, fstatSync, openSync, readSync, statSync, writeSync } from 'node:fs';
import { canonicalJson } from '../util/canonical-json.js';
import type { JournalRecord } from './records.js';

/**
 * The lockfile's write-ahead tail (docs/ARCHITECTURE.md "Rule 8", docs/SPEC.md "Files the tool writes"): its last
 * top-level key `"wal"` ("wal" sorts after "version", so with sorted keys it is always the file's tail) holds records
 * not yet folded into its state, one compact JSON record per line. A record that something was or may have been paid
 * reaches the committed lockfile by an append there, in place, O(record) whatever the lockfile's size; the next full
 * write folds them (its text has no "wal").
 */

/** What the first record's write puts in place of the lockfile's closing `\n}\n`, before the records. */
export const WAL_OPEN = ',\n  "wal": [\n';
/** The bytes that close a lockfile with no wal, and one with a wal. */
const CLOSE_PLAIN = '\n}\n';
const CLOSE_WAL = '\n  ]\n}\n';
/** Each record line's indent. */
export const WAL_INDENT = '    ';

interface Armed {
  fd: number;
  dev: bigint;
  ino: bigint;
  /** The file's size as this appender last left it. */
  size: number;
  /** Records in the file's wal. */
  records: number;
}

/**
 * Appends queued records to the lockfile the store last wrote, never to another file: before each append the file
 * at the path must still be that inode, at the size and with the closing bytes left there; otherwise `flush` says
 * so and the caller writes the whole lockfile instead. One positioned write and one fdatasync per flush (group
 * commit, as lock/journal.ts): the file is valid JSON after every write; a write torn by a crash damages only the
 * wal's last line, which the reader drops (lock/wal-read.ts).
 */
export class WalAppender {
  private armed: Armed | undefined;
  private queue: string[] = [];
  /** The file on disk may hold more than the last full write: records were appended (or an append failed). */
  dirty = false;
  /** Bytes written by appends (for the benchmark's I/O figures). */
  bytesWritten = 0;

  constructor(private readonly file: string) {}

  /** Start appending to the file as it is on disk, if its bytes are `text` (a lockfile read at open, with no wal). */
  adopt(text: string): void {
    this.disarm();
    const fd = openOrUndefined(this.file);
    if (fd === undefined) return;
    const expected = Buffer.from(text);
    const st = fstatSync(fd, { bigint: true });
    const actual = Buffer.alloc(Number(st.size));
    if (st.size === BigInt(expected.length) && readAt(fd, actual, 0) === expected.length && actual.equals(expected)) {
      this.armed = { fd, dev: st.dev, ino: st.ino, size: expected.length, records: 0 };
    } else closeSync(fd);
  }

  /** Start appending to the file just written whole as `text` (a compaction: a new inode); its wal is folded. */
  track(text: string): void {
    this.disarm();
    this.dirty = false;
    const fd = openOrUndefined(this.file);
    if (fd === undefined) return;
    const st = fstatSync(fd, { bigint: true });
    const size = Buffer.byteLength(text);
    if (st.size === BigInt(size) && text.endsWith(CLOSE_PLAIN)) this.armed = { fd, dev: st.dev, ino: st.ino, size, records: 0 };
    else closeSync(fd);
  }

  /** Queue a record for the next flush. */
  push(rec: JournalRecord): void {
    this.queue.push(canonicalJson(rec));
  }

  /** Forget the queued records: a full write of the state that holds them is on disk. */
  clear(): void {
    this.queue = [];
  }

  /**
   * Append the queued records in one write and make them durable. False when they cannot be: the appender is not on
   * the file the store last wrote (another program replaced or edited it, or it was never armed); the caller then
   * writes the whole lockfile. A failed write throws, and leaves the appender off the file.
   */
  flush(): boolean {
    if (this.queue.length === 0) return true;
    const a = this.armed;
    if (!a || !this.onDisk(a)) return false;
    const body = this.queue.map((line) => `${WAL_INDENT}${line}`).join(',\n');
    const tail = Buffer.from(`${a.records === 0 ? WAL_OPEN : ',\n'}${body}${CLOSE_WAL}`);
    const at = a.size - (a.records === 0 ? CLOSE_PLAIN : CLOSE_WAL).length;
    this.dirty = true;
    try {
      for (let off = 0; off < tail.length; ) off += writeSync(a.fd, tail, off, tail.length - off, at + off);
      fdatasyncSync(a.fd);
    } catch (err) {
      this.disarm();
      throw err;
    }
    a.size = at + tail.length;
    a.records += this.queue.length;
    this.bytesWritten += tail.length;
    this.queue = [];
    return true;
  }

  /** The file at the path is no longer the one this appender is on: replaced (a `git checkout` of it) or edited. */
  replaced(): boolean {
    return this.armed !== undefined && !this.onDisk(this.armed);
  }

  close(): void {
    this.disarm();
  }

  /** The file at the path is the one this appender left: same inode, same size, its closing bytes in place. */
  private onDisk(a: Armed): boolean {
    const st = statSync(this.file, { bigint: true, throwIfNoEntry: false });
    if (!st || st.dev !== a.dev || st.ino !== a.ino || st.size !== BigInt(a.size)) return false;
    const close = a.records === 0 ? CLOSE_PLAIN : CLOSE_WAL;
    const end = Buffer.alloc(close.length);
    return readAt(a.fd, end, a.size - close.length) === close.length && end.toString() === close;
  }

  private disarm(): void {
    if (this.armed) closeSync(this.armed.fd);
    this.armed = undefined;
  }
}

function openOrUndefined(file: string): number | undefined {
  try {
    return openSync(file, 'r+');
  } catch {
    return undefined; // not appendable: every flush becomes a full write, as before the wal
  }
}

function readAt(fd: number, buf: Buffer, position: number): number {
  let got = 0;
  while (got < buf.length) {
    const n = readSync(fd, buf, got, buf.length - got, position + got);
    if (n === 0) break;
    got += n;
  }
  return got;
}
