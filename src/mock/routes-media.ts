import type { MockContext, RouteRequest } from './context.js';
import { HttpError, envelope, readBody, readJsonObject, type Reply } from './http-io.js';
import { guessContentType, mediaKind } from './media.js';
import { boundaryOf, type MultipartPart, parseMultipart } from './multipart.js';

/** Handlers for uploads and the file host (`/files/...`, no key needed, like a CDN). */

function uploadResult(ctx: MockContext, id: string, filename: string, contentType: string, size: number): Record<string, unknown> {
  return { type: mediaKind(contentType), download_url: ctx.media.downloadUrl(id, filename), filename, size };
}

function checkFilename(value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '' || value.length > 255 || /[/\\\0]/.test(value)) {
    throw new HttpError(400, 'filename must be a plain file name (no slashes, at most 255 characters)');
  }
  return value;
}

/** POST /api/v3/media/upload/binary, multipart with the field `file` → `data: {type, download_url, filename, size}`. */
export async function handleBinaryUpload(ctx: MockContext, r: RouteRequest): Promise<Reply> {
  const contentType = r.req.headers['content-type'] ?? '';
  const boundary = contentType.toLowerCase().startsWith('multipart/form-data') ? boundaryOf(contentType) : undefined;
  if (boundary === undefined) {
    throw new HttpError(400, 'Expected a multipart/form-data body with a "file" field');
  }
  // Buffered first (with the size limit), then cut at the boundary's bytes: binary-safe (mock/multipart.ts).
  const raw = await readBody(r.req, ctx.maxUploadBytes);
  let parts: MultipartPart[];
  try {
    parts = parseMultipart(raw, boundary);
  } catch {
    throw new HttpError(400, 'Malformed multipart body');
  }
  const file = parts.find((p) => p.name === 'file');
  if (file?.filename === undefined) throw new HttpError(400, 'The multipart field "file" (a file) is required');
  const filename = checkFilename(file.filename || 'upload.bin');
  const type = file.type || guessContentType(filename);
  const bytes = file.bytes;
  const id = ctx.media.newId();
  ctx.media.save(id, { bytes, contentType: type, filename });
  ctx.counters.uploads++;
  return envelope(uploadResult(ctx, id, filename, type, bytes.length));
}

/**
 * POST /api/v3/media/uploads `{filename, size, content_type?}` → a presigned PUT (what the official SDKs use). The
 * PUT must carry exactly `upload.headers`, as with S3; `download_url` serves 404 until the PUT lands.
 */
export async function handleUploadTicket(ctx: MockContext, r: RouteRequest): Promise<Reply> {
  const body = await readJsonObject(r.req);
  const filename = checkFilename(body.filename);
  const size = body.size;
  if (typeof size !== 'number' || !Number.isInteger(size) || size < 0) throw new HttpError(400, 'size must be an integer ≥ 0');
  if (size > ctx.maxUploadBytes) throw new HttpError(413, `File too large: ${size} bytes (limit ${ctx.maxUploadBytes})`);
  const ct = body.content_type;
  if (ct !== undefined && (typeof ct !== 'string' || !/^[\w.+-]+\/[\w.+-]+$/.test(ct))) {
    throw new HttpError(400, 'content_type must be a MIME type such as image/png');
  }
  const id = ctx.media.newId();
  const token = ctx.media.openTicket({ id, filename, size, contentType: ct });
  return envelope({
    upload: { method: 'PUT', url: `${ctx.baseUrl}/upload/${token}`, headers: ct === undefined ? {} : { 'Content-Type': ct } },
    download_url: ctx.media.downloadUrl(id, filename),
  });
}

/** PUT /upload/{token}: the presigned URL; the token is the credential (no bearer, as S3). */
export async function handleUploadPut(ctx: MockContext, r: RouteRequest): Promise<Reply> {
  const token = r.params[0] ?? '';
  const ticket = ctx.media.ticket(token);
  if (!ticket) throw new HttpError(404, 'Upload URL unknown, expired or already used');
  const sent = r.req.headers['content-type'];
  if (ticket.contentType !== undefined && sent !== ticket.contentType) {
    throw new HttpError(403, `Signature mismatch: Content-Type must be exactly "${ticket.contentType}", got "${sent ?? ''}"`);
  }
  const bytes = await readBody(r.req, ctx.maxUploadBytes);
  if (bytes.length !== ticket.size) throw new HttpError(400, `Body is ${bytes.length} bytes, the ticket declared ${ticket.size}`);
  ctx.media.save(ticket.id, { bytes, contentType: ticket.contentType ?? guessContentType(ticket.filename), filename: ticket.filename });
  ctx.media.closeTicket(token);
  ctx.counters.uploads++;
  return { kind: 'empty', status: 200, headers: { etag: `"${ticket.id}"` } };
}

/** GET|HEAD /files/media/{id}/{filename}. */
export function serveMedia(ctx: MockContext, r: RouteRequest): Reply {
  const file = ctx.media.get(r.params[0] ?? '');
  if (!file) throw new HttpError(404, 'File not found');
  ctx.counters.downloads++;
  return { kind: 'bytes', bytes: file.bytes, contentType: file.contentType, headOnly: r.req.method === 'HEAD' };
}

/** GET|HEAD /files/outputs/{id}.mp4: the fixture (or the request's animatic), once the prediction has completed. */
export async function serveOutput(ctx: MockContext, r: RouteRequest): Promise<Reply> {
  const p = ctx.store.get(r.params[0] ?? '');
  if (p?.status !== 'completed') throw new HttpError(404, 'File not found');
  ctx.counters.downloads++;
  const bytes = (await ctx.animatics?.videoFor(p.input)) ?? ctx.output;
  return { kind: 'bytes', bytes, contentType: 'video/mp4', headOnly: r.req.method === 'HEAD' };
}
