import { openAsBlob } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { makeError, type ErrorContext } from './map-error.js';
import { contextFor, requestWithRetry, type Transport } from './transport.js';
import { sha256Hex } from '../util/canonical-json.js';
import { UploadDataSchema } from './wire.js';

export interface UploadOptions {
  signal?: AbortSignal;
  /** The part's Content-Type; guessed from the extension when absent. */
  contentType?: string;
  /**
   * What the plan took of the file: its size and sha256. The file is then read once, checked against them and those
   * very bytes sent: a file changed after the plan is refused (PLAN_STALE, a size that differs before reading)
   * rather than uploaded under the planned content's name, which would pay for a render of bytes the lockfile does
   * not record (docs/ARCHITECTURE.md "Rule 6").
   */
  planned?: { sha256: string; bytes: number };
}

export interface UploadResult {
  /** The `download_url` to send as `image` / `end_image`. Lives 7 days on the server. */
  url: string;
  filename?: string;
  size?: number;
}

const UPLOAD_PATH = '/api/v3/media/upload/binary';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.gif': 'image/gif',
  '.mp4': 'video/mp4',
  '.mp3': 'audio/mpeg',
  '.wav': 'audio/wav',
};

function contentTypeFor(filePath: string): string {
  return CONTENT_TYPES[extname(filePath).toLowerCase()] ?? 'application/octet-stream';
}

/** The file's size; FILE_NOT_FOUND or FILE_UNREADABLE when it is not a file that can be read. */
async function checkReadable(filePath: string, ctx: ErrorContext): Promise<number> {
  try {
    const info = await stat(filePath);
    if (!info.isFile()) throw new Error('not a regular file');
    return info.size;
  } catch (err) {
    const missing = (err as { code?: unknown }).code === 'ENOENT';
    throw makeError(missing ? 'FILE_NOT_FOUND' : 'FILE_UNREADABLE', `${ctx.op}: cannot read ${filePath}`, ctx, {
      cause: err,
      hint: 'check the path in the spec (it is relative to the spec file)',
    });
  }
}

/**
 * Upload a local file (multipart, field `file`). Retried like a GET: a duplicate upload only leaves an unused
 * file on the server for 7 days, it costs nothing. The body is rebuilt for each attempt (a stream is single-use).
 */
export async function uploadFile(t: Transport, filePath: string, opts: UploadOptions = {}): Promise<UploadResult> {
  const ctx = contextFor(t, { op: `upload ${basename(filePath)}` });
  const size = await checkReadable(filePath, ctx);
  const type = opts.contentType ?? contentTypeFor(filePath);
  const unreadable = (err: unknown) => Promise.reject(makeError('FILE_UNREADABLE', `${ctx.op}: cannot read ${filePath}`, ctx, { cause: err }));
  const { planned } = opts;
  const changed = () =>
    makeError('PLAN_STALE', `${ctx.op}: ${filePath} changed after this run planned it; nothing was uploaded or submitted for it`, ctx, {
      hint: 'run `render apply` again (with a saved plan, make a new one): it plans the image as it is now',
    });
  if (planned && size !== planned.bytes) throw changed();
  const checked = planned ? await readFile(filePath).catch(unreadable) : undefined;
  if (planned && sha256Hex(checked!) !== planned.sha256) throw changed();
  const data = await requestWithRetry(t, {
    op: ctx.op,
    method: 'POST',
    url: `${t.baseUrl}${UPLOAD_PATH}`,
    signal: opts.signal,
    body: async () => {
      const blob = checked ? new Blob([checked], { type }) : await openAsBlob(filePath, { type }).catch(unreadable);
      const form = new FormData();
      form.set('file', blob, basename(filePath));
      return form;
    },
  });
  const parsed = UploadDataSchema.safeParse(data);
  const url = parsed.success ? (parsed.data.download_url ?? parsed.data.url) : undefined;
  if (!parsed.success || !url) {
    throw makeError('BAD_RESPONSE', `${ctx.op}: the answer has no download_url`, ctx);
  }
  const result: UploadResult = { url };
  if (parsed.data.filename) result.filename = parsed.data.filename;
  if (typeof parsed.data.size === 'number') result.size = parsed.data.size;
  return result;
}
