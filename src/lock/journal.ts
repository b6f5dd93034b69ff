import { closeSync, fdatasync, fdatasyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, write } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { RenderError } from '../errors.js';
import { displayPath } from '../util/paths.js';
import type { JournalRecord } from './records.js';

/**
 * Append-only NDJSON journal with group commit: records appended in the same moment share one write and
 * one fdatasync, and each `append` resolves only once its record is durable. That keeps "intent before
 * submit" safe at 100 submits in flight without an fsync per record on the event loop.
 */
export class Journal {
  private fd: number;
  private queue: { line: string; resolve: () => void; reject: (e: unknown) => void }[] = [];
  private flushing: Promise<void> | undefined;
  /** Bytes appended since the journal was opened (for the benchmark's I/O figures). */
  bytesWritten = 0;
  /** Records appended since the last reset. */
  records = 0;

  constructor(readonly file: string) {
    mkdirSync(path.dirname(file), { recursive: true });
    this.fd = openSync(file, 'a', 0o600);
  }

  append(rec: JournalRecord): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ line: `${JSON.stringify(rec)}\n`, resolve, reject });
      this.records++;
      this.flushing ??= this.flush();
    });
  }

  private async flush(): Promise<void> {
    // Let every append of this tick join the batch.
    await new Promise((r) => setImmediate(r));
    while (this.queue.length > 0) {
      const batch = this.queue;
      this.queue = [];
      const text = batch.map((b) => b.line).join('');
      try {
        await writeAll(this.fd, text);
        await fdatasyncAsync(this.fd);
        this.bytesWritten += Buffer.byteLength(text);
        for (const b of batch) b.resolve();
      } catch (err) {
        for (const b of batch) b.reject(err);
      }
    }
    this.flushing = undefined;
  }

  /** Wait for every pending append to be durable. */
  async drain(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  /** Empty the journal once its records are compacted into the lockfile. */
  reset(): void {
    ftruncateSync(this.fd, 0);
    fdatasyncSync(this.fd);
    this.records = 0;
  }

  close(): void {
    closeSync(this.fd);
  }
}

const fdatasyncAsync = promisify(fdatasync);

async function writeAll(fd: number, text: string): Promise<void> {
  const buf = Buffer.from(text);
  let off = 0;
  while (off < buf.length) {
    off += await new Promise<number>((res, rej) => write(fd, buf, off, buf.length - off, null, (e, n) => (e ? rej(e) : res(n))));
  }
}

/** Read a journal; a torn last line (a kill in mid-write) is dropped, since its step was never trusted. */
export function readJournal(file: string): JournalRecord[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return [];
    throw new RenderError('LOCKFILE_INVALID', `cannot read the journal ${displayPath(file)} (${code ?? String(err)})`, {
      hint: 'it is working state of an interrupted apply in .render/; move it aside only if no apply is running',
      cause: err,
    });
  }
  const records: JournalRecord[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const rec = JSON.parse(line) as unknown;
      // Only records of a known kind are trusted; anything else (a torn last line, a hand edit) is ignored.
      if (rec && typeof rec === 'object' && RECORD_KINDS.has((rec as { t?: unknown }).t as string)) records.push(rec as JournalRecord);
    } catch {
      // a torn last line (a kill in mid-write): its step was never trusted
    }
  }
  return records;
}

const RECORD_KINDS: ReadonlySet<string> = new Set(['intent', 'submitted', 'unknown', 'refused', 'status', 'output', 'gone', 'moved', 'upload', 'unfetchable']);
