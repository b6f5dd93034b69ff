import { MOCK_ENDPOINT } from '../endpoint.js';
import type { WaveSpeedClient } from '../provider/index.js';
import type { PlannedShot } from '../plan/build.js';
import type { LockStore } from '../lock/store.js';

/**
 * Uploaded media lives 7 days on the server (docs/ARCHITECTURE.md "API facts we rely on"); reuse an upload for at
 * most 6, to be safe.
 */
const UPLOAD_REUSE_MS = 6 * 24 * 3600 * 1000;

export interface UploadEvents {
  onUpload?: (e: { path: string; sha256: string; url: string }) => void;
}

/**
 * Each distinct local image is uploaded once, by content: two shots naming the same bytes share one upload,
 * and an upload recorded in the lockfile is reused until it may have expired. Concurrent requests for the
 * same image share one promise.
 */
export class Uploader {
  private readonly pending = new Map<string, Promise<string>>();

  constructor(
    private readonly client: WaveSpeedClient,
    private readonly store: LockStore,
    private readonly endpoint: string,
    private readonly now: () => number,
    private readonly events: UploadEvents = {},
  ) {}

  /** The URL standing for a local image with this content. */
  urlFor(image: { path: string; sha256: string; bytes: number }, signal?: AbortSignal): Promise<string> {
    const known = this.store.lock.endpoints[this.endpoint]?.uploads[image.sha256];
    const fresh = known && this.now() - Date.parse(known.uploaded_at) < UPLOAD_REUSE_MS && this.alive(known.url);
    if (known && fresh) {
      return Promise.resolve(known.url);
    }
    let p = this.pending.get(image.sha256);
    if (!p) {
      p = this.upload(image, signal).finally(() => this.pending.delete(image.sha256));
      this.pending.set(image.sha256, p);
    }
    return p;
  }

  /**
   * The embedded mock server (`--mock`) is a new server on every run, on another port, its uploads gone with the
   * last one: reuse only what this very server holds. (Its outputs are made from the uploaded images.)
   */
  private alive(url: string): boolean {
    if (this.endpoint !== MOCK_ENDPOINT) return true;
    try {
      return new URL(url).origin === new URL(this.client.baseUrl).origin;
    } catch {
      return false;
    }
  }

  private async upload(image: { path: string; sha256: string; bytes: number }, signal?: AbortSignal): Promise<string> {
    // The planned content: a file changed since the plan is refused, never uploaded under that hash.
    const result = await this.client.upload(image.path, { signal, planned: { sha256: image.sha256, bytes: image.bytes } });
    // Not awaited: an upload costs nothing, and the submit's intent (which carries the URL) is appended after it
    // and made durable with it, one fsync fewer before the first submit (docs/ARCHITECTURE.md "Polling").
    this.store.note({
      t: 'upload',
      at: new Date(this.now()).toISOString(),
      sha256: image.sha256,
      url: result.url,
      endpoint: this.endpoint,
      bytes: result.size ?? 0,
    });
    this.events.onUpload?.({ path: image.path, sha256: image.sha256, url: result.url });
    return result.url;
  }

  /** The body to send: the plan's request with each local image replaced by its upload URL. */
  async bodyFor(shot: PlannedShot, signal?: AbortSignal): Promise<{ body: Record<string, unknown>; urls: Record<string, string> }> {
    const body: Record<string, unknown> = { ...shot.request };
    const urls: Record<string, string> = {};
    for (const img of shot.images) {
      const url = await this.urlFor(img, signal);
      body[img.field] = url;
      urls[img.field] = url;
    }
    return { body, urls };
  }
}
