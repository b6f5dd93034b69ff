/**
 * The one price table (API.md "Price"). Money is integer cents everywhere: $0.42/s is 42 cents per second, so
 * a 7 s shot is exactly 294 cents. Prices change: `render plan --check-price` (with a key) compares this table
 * against the server's /api/v3/model/price.
 */

export const DEFAULT_MODEL = 'kwaivgi/kling-v3.0-4k/image-to-video';

export interface ModelInfo {
  id: string;
  /** Price in integer cents per second of output. */
  centsPerSecond: number;
  /** Whether the model takes a start frame (`image`) and an `end_image`. */
  takesImage: boolean;
}

export const MODELS: Readonly<Record<string, ModelInfo>> = {
  'kwaivgi/kling-v3.0-4k/image-to-video': { id: 'kwaivgi/kling-v3.0-4k/image-to-video', centsPerSecond: 42, takesImage: true },
  'kwaivgi/kling-v3.0-4k/text-to-video': { id: 'kwaivgi/kling-v3.0-4k/text-to-video', centsPerSecond: 42, takesImage: false },
  'kwaivgi/kling-video-o3-4k/image-to-video': { id: 'kwaivgi/kling-video-o3-4k/image-to-video', centsPerSecond: 42, takesImage: true },
};

export const MODEL_IDS = Object.keys(MODELS) as [string, ...string[]];

/** Request fields the video models accept (API.md). Anything else is never sent: the server would ignore it and bill. */
export const REQUEST_FIELDS = [
  'image',
  'end_image',
  'prompt',
  'negative_prompt',
  'duration',
  'cfg_scale',
  'sound',
  'shot_type',
  'multi_prompt',
  'element_list',
] as const;
export type RequestField = (typeof REQUEST_FIELDS)[number];

/** The request body sent to `POST /api/v3/{model}`. */
export interface VideoRequest {
  image?: string;
  end_image?: string;
  prompt?: string;
  negative_prompt?: string;
  duration: number;
  cfg_scale?: number;
  sound?: boolean;
  shot_type?: 'customize' | 'intelligent';
  multi_prompt?: { prompt: string; duration: number }[];
  element_list?: { element_id: string }[];
}

export function costCents(model: string, durationSeconds: number): number {
  const info = MODELS[model];
  if (!info) throw new Error(`no price for model ${model}`);
  return info.centsPerSecond * durationSeconds;
}

/** Cents to a `12.34` string; never through floating-point dollars arithmetic. */
export function formatUsd(cents: number): string {
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

/** A user-typed dollar amount (`60`, `59.5`, `0.42`) to integer cents, exactly; null when it is not one. */
export function parseUsd(text: string): number | null {
  const m = /^\s*(\d+)(?:\.(\d{1,2}))?\s*$/.exec(text);
  if (!m) return null;
  return Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'));
}

/** A dollar amount from YAML/JSON (a number) to integer cents; null when it has sub-cent precision. */
export function usdToCents(usd: number): number | null {
  if (!Number.isFinite(usd) || usd < 0) return null;
  return parseUsd(String(usd));
}
