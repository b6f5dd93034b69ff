import type { VideoRequest } from '../models.js';
import type { MatrixValue } from './matrix.js';

/** A local image or a remote URL named by a shot's `image` or `end_image`. */
export interface ImageRef {
  field: 'image' | 'end_image';
  /** The value after templating, as written. */
  ref: string;
  /** Absolute path when the image is a local file; undefined for an https URL. */
  local?: string;
}

/** One shot after matrix expansion, defaults and templating: everything needed to build its request. */
export interface ExpandedShot {
  id: string;
  /** Index of the shot in the spec's `shots` list (for error positions). */
  source: number;
  matrix: Record<string, MatrixValue>;
  /** The take number (spec field `take`, default 1): a new take renders the same inputs again. */
  take: number;
  /** The request body; `image`/`end_image` hold the ref as written until uploads replace them with URLs. */
  request: VideoRequest;
  images: ImageRef[];
}

/** What planning knows of a local image: identity by content, never by file time. */
export interface ImageInfo {
  path: string;
  sha256: string;
  bytes: number;
  width: number;
  height: number;
  type: 'png' | 'jpg';
}
