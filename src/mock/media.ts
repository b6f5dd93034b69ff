import { createHash, randomBytes } from 'node:crypto';

/**
 * Uploaded media, held in memory and served back at `download_url` (like WaveSpeed's CDN: no key needed).
 * Two flows (docs/ARCHITECTURE.md "API facts we rely on"): multipart `media/upload/binary`, and the SDKs' two-step
 * ticket + PUT to a presigned URL.
 */
export interface MediaFile {
  bytes: Buffer;
  contentType: string;
  filename: string;
}

/** A two-step upload waiting for its PUT. */
export interface UploadTicket {
  id: string;
  filename: string;
  size: number;
  contentType: string | undefined;
}

const EXTENSION_TYPES: Readonly<Record<string, string>> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
  gif: 'image/gif',
  mp4: 'video/mp4',
  mov: 'video/quicktime',
  mp3: 'audio/mpeg',
  wav: 'audio/wav',
};

export function guessContentType(filename: string): string {
  const ext = /\.([a-z0-9]+)$/i.exec(filename)?.[1]?.toLowerCase() ?? '';
  return EXTENSION_TYPES[ext] ?? 'application/octet-stream';
}

/** The `type` of an upload response: `image`, `video`, `audio` or `file`. */
export function mediaKind(contentType: string): string {
  const top = contentType.split('/')[0] ?? '';
  return ['image', 'video', 'audio'].includes(top) ? top : 'file';
}

export class MediaStore {
  private readonly files = new Map<string, MediaFile>();
  /** sha256 of each upload's bytes, computed when first asked (stats.ts: what a submit is, whatever its URL). */
  private readonly digests = new Map<string, string>();
  private readonly tickets = new Map<string, UploadTicket>();

  constructor(private readonly baseUrl: string) {}

  newId(): string {
    return randomBytes(12).toString('hex');
  }

  downloadUrl(id: string, filename: string): string {
    return `${this.baseUrl}/files/media/${id}/${encodeURIComponent(filename)}`;
  }

  save(id: string, file: MediaFile): void {
    this.files.set(id, file);
  }

  get(id: string): MediaFile | undefined {
    return this.files.get(id);
  }

  /**
   * `media:<sha256 of the bytes>` for a URL of this server's own uploads, else undefined: the same image uploaded
   * twice is two URLs but one picture, and a task made of it is the same request (stats.ts).
   */
  contentId(url: string): string | undefined {
    const id = this.ownMediaId(url);
    if (id === undefined) return undefined;
    let digest = this.digests.get(id);
    if (digest === undefined) {
      const file = this.files.get(id);
      if (file === undefined) return undefined;
      digest = createHash('sha256').update(file.bytes).digest('base64');
      this.digests.set(id, digest);
    }
    return `media:${digest}`;
  }

  private ownMediaId(url: string): string | undefined {
    const own = this.ownPath(url);
    return own === undefined ? undefined : /^\/files\/media\/([^/]+)\//.exec(own)?.[1];
  }

  /** The path of a URL of this server's own; undefined for another origin or what is not a URL. */
  private ownPath(url: string): string | undefined {
    try {
      const parsed = new URL(url);
      return parsed.origin === new URL(this.baseUrl).origin ? parsed.pathname : undefined;
    } catch {
      return undefined;
    }
  }

  /** Opens a two-step upload; the token is the secret in the presigned PUT URL. */
  openTicket(ticket: UploadTicket): string {
    const token = randomBytes(18).toString('base64url');
    this.tickets.set(token, ticket);
    return token;
  }

  ticket(token: string): UploadTicket | undefined {
    return this.tickets.get(token);
  }

  /** A PUT succeeded: the ticket is spent (one upload per presigned URL keeps the maps bounded). */
  closeTicket(token: string): void {
    this.tickets.delete(token);
  }

  /**
   * Whether the task could fetch `url`: this server's own media and output URLs are looked up (a missing one is
   * the realistic 1402); any other URL is assumed reachable, as nothing here can fetch the internet.
   */
  isFetchable(url: string, outputExists: (id: string) => boolean): boolean {
    if (!URL.canParse(url)) return false;
    const own = this.ownPath(url);
    if (own === undefined) return true;
    const media = this.ownMediaId(url);
    if (media !== undefined) return this.files.has(media);
    const output = /^\/files\/outputs\/([^/]+)\.mp4$/.exec(own);
    if (output?.[1] !== undefined) return outputExists(output[1]);
    return false;
  }
}
