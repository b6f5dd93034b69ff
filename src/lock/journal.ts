import { closeSync, fdatasync, fdatasyncSync, fstatSync, ftruncateSync, mkdirSync, openSync, readFileSync, statSync, write, writeSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { RenderError } from '../errors.js';
import { displayPath } from '../util/paths.js';
import { RECORD_KINDS, type JournalRecord } from './records.js';

/**
 * Append-only NDJSON journal with group commit: records appended in the same moment share one write and
 * one fdatasync, and each `append` resolves only once its record is durable. That keeps "intent before
 * submit" safe at 100 submits in flight without an fsync per record on the event loop.
 */
export class Journal {
  private fd: number;
  private readonly retired: number[] = [];
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

  /**
   * Empty the journal once its records are compacted into the lockfile, leaving one `base` record that names the
   * lockfile (lineage and serial) the next records apply on top of.
   */
  reset(base: Extract<JournalRecord, { t: 'base' }>): void {
    ftruncateSync(this.fd, 0);
    const line = `${JSON.stringify(base)}\n`;
    writeSync(this.fd, line);
    fdatasyncSync(this.fd);
    this.bytesWritten += Buffer.byteLength(line);
    this.records = 0;
  }

  /**
   * Whether the file at the path is still the one open: false when it was deleted (`.render/` removed while the run
   * goes on) or replaced, and every append since went nowhere anyone can read.
   */
  inPlace(): boolean {
    const st = statSync(this.file, { throwIfNoEntry: false });
    if (st === undefined) return false;
    const open = fstatSync(this.fd);
    return st.ino === open.ino && st.dev === open.dev;
  }

  /** Open the path anew (its folder made again if need be); the caller resets it on top of a snapshot. */
  reopen(): void {
    mkdirSync(path.dirname(this.file), { recursive: true });
    this.retired.push(this.fd); // a batch may still be writing to it: closed with the journal
    this.fd = openSync(this.file, 'a', 0o600);
  }

  close(): void {
    for (const fd of this.retired) closeSync(fd);
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

/** A journal line as read: its 1-based line number and the parsed object (a `t` string is guaranteed). */
export interface JournalLine {
  line: number;
  rec: { t: string } & Record<string, unknown>;
}

/**
 * Read a journal. Its last line may be torn (a kill in mid-write, no final newline): that step was never trusted,
 * and it is dropped. Any other line that is not a record is damage (a hand edit, a bad disk): refused, naming
 * the line, never skipped, since a skipped line may be a prediction that was paid for.
 */
export function readJournal(file: string, kinds: ReadonlySet<string> = RECORD_KINDS): JournalLine[] {
  const shown = displayPath(file);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return [];
    throw new RenderError('LOCKFILE_INVALID', `cannot read the journal ${shown} (${code ?? String(err)})`, {
      hint: 'it is working state of an interrupted apply in .render/; move it aside only if no apply is running',
      cause: err,
    });
  }
  const lines = text.split('\n');
  const complete = lines.slice(0, -1); // the last piece has no newline: '' or a torn line
  const records: JournalLine[] = [];
  complete.forEach((text, i) => {
    if (text.trim() === '') return;
    let rec: unknown;
    try {
      rec = JSON.parse(text);
    } catch {
      throw journalDamaged(file, i + 1, 'is not JSON');
    }
    const kind = rec && typeof rec === 'object' && !Array.isArray(rec) ? (rec as { t?: unknown }).t : undefined;
    if (typeof kind !== 'string' || !kinds.has(kind)) throw journalDamaged(file, i + 1, `is not a journal record (${JSON.stringify(kind ?? null)})`);
    records.push({ line: i + 1, rec: rec as JournalLine['rec'] });
  });
  return records;
}

/** A journal line that is not a record render wrote: refused, naming the line, never skipped. */
export function journalDamaged(file: string, line: number, what: string): RenderError {
  const shown = displayPath(file);
  return new RenderError('LOCKFILE_INVALID', `the journal ${shown} is damaged: line ${line} ${what}`, {
    issues: [{ file: shown, line, col: 1, message: `${what}; render will not guess what it recorded` }],
    hint: `the journal records what was paid since the lockfile was last written, one record per line. If no apply is running, restore line ${line}; if you cannot, delete only that line (\`sed -i '${line}d' ${shown}\`): the others keep what they recorded, and \`render status\` then shows any submit left unknown, for \`render adopt\` / \`render forget\`. Moving the whole journal aside would lose what its intact lines recorded`,
  });
}
