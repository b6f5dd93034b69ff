import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { RenderError } from '../errors.js';
import { makeError, type ErrorContext } from './map-error.js';
import { withRetry } from './retry.js';
import { attempt, contextFor, type Transport } from './transport.js';

export interface DownloadOptions {
  signal?: AbortSignal;
  /** Refuse a body larger than this (default 4 GiB): a runaway or wrong URL must not fill the disk. */
  maxBytes?: number;
  /** Deadline for one attempt, body included (default: the client's download timeout). */
  timeoutMs?: number;
  /**
   * Called with the first bytes (up to 16) and the size once the body is on disk, before it is renamed into
   * place; throw to refuse it (e.g. not an MP4). A refused file never reaches `destPath`, and is not retried.
   */
  check?: (head: Buffer, bytes: number) => void;
}

export interface DownloadResult {
  path: string;
  sha256: string;
  bytes: number;
}

const DEFAULT_MAX_DOWNLOAD_BYTES = 4 * 1024 ** 3;

/** Signed CDN URLs carry tokens in the query: errors name the file, not the whole URL. */
function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}

function fsError(err: unknown, what: string, ctx: ErrorContext): RenderError {
  const detail = err instanceof Error ? err.message : String(err);
  return makeError('DOWNLOAD_FAILED', `${ctx.op}: ${what}: ${detail}`, ctx, { cause: err });
}

/** Stream the body into `handle`, hashing and counting as it goes; fsync before returning. */
async function streamBody(res: Response, handle: FileHandle, maxBytes: number, ctx: ErrorContext) {
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes) {
    throw makeError('DOWNLOAD_FAILED', `${ctx.op}: ${declared} bytes is more than the ${maxBytes} allowed`, ctx);
  }
  const hash = createHash('sha256');
  let bytes = 0;
  const head: Buffer[] = [];
  if (res.body) {
    // Errors thrown by the body itself (a dropped connection, our deadline) surface raw and are mapped to
    // NETWORK/TIMEOUT by attempt(), so they are retried; file-system errors are final.
    for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
      bytes += chunk.byteLength;
      if (bytes > maxBytes) {
        throw makeError('DOWNLOAD_FAILED', `${ctx.op}: more than the ${maxBytes} bytes allowed`, ctx);
      }
      if (bytes - chunk.byteLength < HEAD_BYTES) head.push(Buffer.from(chunk.subarray(0, HEAD_BYTES)));
      hash.update(chunk);
      await handle.write(chunk).catch((err: unknown) => Promise.reject(fsError(err, 'write failed', ctx)));
    }
  }
  // Without content-encoding, Content-Length is the body's size: fewer bytes means a cut connection.
  if (Number.isFinite(declared) && !res.headers.get('content-encoding') && bytes !== declared) {
    throw makeError('NETWORK', `${ctx.op}: got ${bytes} of ${declared} bytes`, ctx);
  }
  await handle.sync().catch((err: unknown) => Promise.reject(fsError(err, 'fsync failed', ctx)));
  return { sha256: hash.digest('hex'), bytes, head: Buffer.concat(head).subarray(0, HEAD_BYTES) };
}

const HEAD_BYTES = 16;

const DOWNLOAD_HINTS = {
  NOT_FOUND: 'the output is gone (outputs are deleted 7 days after the task) or the URL is wrong',
  AUTH: 'the output URL refused access; it may have expired (outputs are deleted after 7 days)',
  FORBIDDEN: 'the output URL refused access; it may have expired (outputs are deleted after 7 days)',
  INVALID_INPUT: 'the output URL was refused; check it, or poll the prediction again for a fresh URL',
} as const;

async function attemptToTemp(t: Transport, url: string, tmp: string, opts: DownloadOptions, ctx: ErrorContext) {
  const spec = { op: ctx.op, hints: ctx.hints, method: 'GET' as const, url, signal: opts.signal, timeoutMs: opts.timeoutMs };
  return attempt(t, spec, async (res) => {
    const handle = await open(tmp, 'w').catch((err: unknown) => Promise.reject(fsError(err, 'cannot create temp file', ctx)));
    try {
      return await streamBody(res, handle, opts.maxBytes ?? DEFAULT_MAX_DOWNLOAD_BYTES, ctx);
    } finally {
      await handle.close().catch(() => undefined);
    }
  });
}

/** Make the rename durable too: fsync the directory (not supported everywhere, so best effort). */
async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r').catch(() => undefined);
  await handle?.sync().catch(() => undefined);
  await handle?.close().catch(() => undefined);
}

/**
 * Download `url` to `destPath`: streamed to a temp file beside it, sha256 computed while streaming, fsync, then
 * renamed into place. A failure removes the temp file and never touches an existing `destPath`, so a paid output
 * already on disk survives a failed re-download. Retried like a GET (network errors, 429, 5xx).
 */
export async function downloadFile(t: Transport, url: string, destPath: string, opts: DownloadOptions = {}): Promise<DownloadResult> {
  const ctx = contextFor(t, { op: `download ${describeUrl(url)}`, hints: DOWNLOAD_HINTS });
  if (!/^https?:\/\//i.test(url)) throw makeError('BAD_RESPONSE', `${ctx.op}: not an http(s) URL`, ctx);
  const dir = dirname(destPath);
  await mkdir(dir, { recursive: true }).catch((err: unknown) => Promise.reject(fsError(err, `cannot create ${dir}`, ctx)));
  const tmp = join(dir, `.${basename(destPath)}.${process.pid}.${randomBytes(4).toString('hex')}.part`);
  let placed = false;
  try {
    const result = await withRetry(ctx.op, () => attemptToTemp(t, url, tmp, opts, ctx), {
      policy: t.retry,
      sleep: t.sleep,
      random: t.random,
      signal: opts.signal,
    });
    opts.check?.(result.head, result.bytes);
    await rename(tmp, destPath).catch((err: unknown) => Promise.reject(fsError(err, `cannot move into ${destPath}`, ctx)));
    placed = true;
    await syncDir(dir);
    return { path: destPath, sha256: result.sha256, bytes: result.bytes };
  } finally {
    if (!placed) await rm(tmp, { force: true }).catch(() => undefined);
  }
}
