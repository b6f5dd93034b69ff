/**
 * The one price table (docs/ARCHITECTURE.md "API facts we rely on"). Money is integer cents everywhere ("Money
 * rules"): $0.42/s is 42 cents per second, so a 7 s shot is exactly 294 cents (the money helpers are in money.ts).
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

/**
 * Request fields the video models accept (docs/ARCHITECTURE.md "API facts we rely on"). Anything else is never sent:
 * the server would ignore it and bill.
 */
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

/**
 * Request fields that may change a prediction's price (docs/ARCHITECTURE.md "API facts we rely on": the table says
 * the price depends on the duration only, sound on or off; a quote is how we find out if that is still true).
 * Shots alike in these fields are one price shape, quoted once.
 */
export interface PriceShape {
  /** `model duration sound`: equal keys, equal prices. */
  key: string;
  model: string;
  /** The `inputs` of a price quote: only the fields that may change the price [guess: the server needs no more]. */
  inputs: { duration: number; sound: boolean };
}

export function priceShapeOf(model: string, request: Pick<VideoRequest, 'duration' | 'sound'>): PriceShape {
  const sound = request.sound === true;
  return { key: `${model} ${request.duration} ${sound ? 'sound' : 'silent'}`, model, inputs: { duration: request.duration, sound } };
}
