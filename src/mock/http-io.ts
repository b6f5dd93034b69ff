import type { IncomingMessage, ServerResponse } from 'node:http';
import { httpDate } from './clock.js';

/** A response the handlers want to send instead of a result; the router renders it as the API's envelope. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/**
 * What a handler answers. Handlers return a Reply instead of writing, so the router can delay the write (the
 * `slow` fault: handled, then answered late) or destroy the socket (a lost submit) after the work is done.
 */
export type Reply =
  | { kind: 'json'; status: number; body: unknown; headers?: Record<string, string> }
  | { kind: 'bytes'; bytes: Buffer; contentType: string; headOnly: boolean }
  | { kind: 'empty'; status: number; headers?: Record<string, string> }
  | { kind: 'destroy' };

/**
 * The API's envelope `{code, message, data}`; `code` mirrors the HTTP status (docs/ARCHITECTURE.md "API facts we
 * rely on").
 */
export function envelope(data: unknown, status = 200): Reply {
  return { kind: 'json', status, body: { code: status, message: 'success', data } };
}

export function errorReply(status: number, message: string, headers: Record<string, string> = {}): Reply {
  return { kind: 'json', status, body: { code: status, message, data: null }, headers };
}

/**
 * Writes `reply`, with a `Date` header from the server's clock (`nowMs`): Node's own would come from the real
 * clock, and a skewed or manual server clock must show in every response.
 */
export function writeReply(res: ServerResponse, reply: Reply, nowMs: number): void {
  if (res.destroyed || res.headersSent) return;
  res.setHeader('date', httpDate(nowMs));
  switch (reply.kind) {
    case 'json': {
      const text = JSON.stringify(reply.body);
      res.writeHead(reply.status, {
        'content-type': 'application/json; charset=utf-8',
        'content-length': String(Buffer.byteLength(text)),
        ...reply.headers,
      });
      res.end(text);
      return;
    }
    case 'bytes':
      res.writeHead(200, { 'content-type': reply.contentType, 'content-length': String(reply.bytes.length) });
      res.end(reply.headOnly ? undefined : reply.bytes);
      return;
    case 'empty':
      res.writeHead(reply.status, { 'content-length': '0', ...reply.headers });
      res.end();
      return;
    case 'destroy':
      res.socket?.destroy();
      res.destroy();
  }
}

/** Reads the whole body, refusing more than `limit` bytes with a 413 (checked before and while reading). */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) throw new HttpError(413, `Request body too large: ${declared} bytes (limit ${limit})`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new HttpError(413, `Request body too large: over ${limit} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}

const JSON_LIMIT = 1024 * 1024;

/** Reads a JSON object body; 400 on bad JSON or a non-object, as the real API answers. */
export async function readJsonObject(req: IncomingMessage): Promise<Record<string, unknown>> {
  const raw = await readBody(req, JSON_LIMIT);
  let value: unknown;
  try {
    value = raw.length === 0 ? {} : JSON.parse(raw.toString('utf8'));
  } catch {
    throw new HttpError(400, 'Invalid JSON in request body');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new HttpError(400, 'Request body must be a JSON object');
  }
  return value as Record<string, unknown>;
}
