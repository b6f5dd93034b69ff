import type { VideoRequest } from '../models.js';
import type { ExpandedShot, ImageInfo } from './types.js';

/**
 * The request with each local image replaced by `sha256:<hex>` of its bytes: what the shot renders, by
 * content. Renaming or touching a file changes nothing; editing its pixels changes the fingerprint.
 */
export function contentRequest(shot: ExpandedShot, images: ReadonlyMap<string, ImageInfo>): VideoRequest {
  const request: VideoRequest = { ...shot.request };
  for (const img of shot.images) {
    if (!img.local) continue;
    const info = images.get(img.local);
    if (!info) throw new Error(`internal: image ${img.local} was not inspected`);
    request[img.field] = `sha256:${info.sha256}`;
  }
  return request;
}
