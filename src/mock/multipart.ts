/**
 * A strict multipart/form-data reader (RFC 7578) for the mock's binary upload: binary-safe (parts are cut at the
 * boundary's bytes, never decoded), and cheap on the first upload of a process. The global `Request(...).formData()`
 * used before costs about 100 ms the first time a process calls it (Node loads its fetch on first use), which a
 * real server does not: the first `render apply` against a fresh mock paid it inside its wall time
 * (docs/ARCHITECTURE.md "The local server").
 */

export interface MultipartPart {
  name: string;
  /** Present for a file part (`filename="..."` in its Content-Disposition). */
  filename?: string;
  /** The part's Content-Type, "" when it sends none. */
  type: string;
  bytes: Buffer;
}

/** The boundary of a `multipart/form-data; boundary=...` Content-Type, or undefined. */
export function boundaryOf(contentType: string): string | undefined {
  const m = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  const b = m?.[1] ?? m?.[2];
  return b && b.length <= 70 ? b : undefined;
}

/** Every part of `body`; throws on anything that is not a complete multipart body with this boundary. */
export function parseMultipart(body: Buffer, boundary: string): MultipartPart[] {
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: MultipartPart[] = [];
  let at = body.indexOf(delimiter);
  if (at < 0) throw new Error('no boundary');
  for (;;) {
    at += delimiter.length;
    if (body.subarray(at, at + 2).toString('latin1') === '--') return parts; // the closing delimiter
    if (body.subarray(at, at + 2).toString('latin1') !== '\r\n') throw new Error('bad delimiter line');
    const headersEnd = body.indexOf('\r\n\r\n', at + 2, 'latin1');
    if (headersEnd < 0) throw new Error('part headers not ended');
    const next = body.indexOf(Buffer.from(`\r\n--${boundary}`), headersEnd + 4);
    if (next < 0) throw new Error('part not ended');
    parts.push(partOf(body.subarray(at + 2, headersEnd).toString('utf8'), body.subarray(headersEnd + 4, next)));
    at = next + 2;
  }
}

function partOf(headerText: string, bytes: Buffer): MultipartPart {
  const headers = new Map<string, string>();
  for (const line of headerText.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw new Error('bad part header');
    headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  const disposition = headers.get('content-disposition') ?? '';
  if (!/^form-data\s*(;|$)/i.test(disposition)) throw new Error('part is not form-data');
  const name = paramOf(disposition, 'name');
  if (name === undefined) throw new Error('part has no name');
  const filename = paramOf(disposition, 'filename');
  return { name, ...(filename === undefined ? {} : { filename }), type: headers.get('content-type') ?? '', bytes: Buffer.from(bytes) };
}

/**
 * A quoted (or bare) parameter of a Content-Disposition. Browsers and undici escape `"`, CR and LF in names as
 * %22, %0D and %0A (the HTML form encoding): read back as the characters.
 */
function paramOf(disposition: string, key: string): string | undefined {
  const m = new RegExp(`;\\s*${key}=(?:"([^"]*)"|([^;\\s]*))`, 'i').exec(disposition);
  const raw = m?.[1] ?? m?.[2];
  return raw?.replace(/%22/g, '"').replace(/%0D/gi, '\r').replace(/%0A/gi, '\n');
}
