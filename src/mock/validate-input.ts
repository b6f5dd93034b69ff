import { REQUEST_FIELDS, type ModelInfo } from '../models.js';
import { HttpError } from './http-io.js';

/**
 * Checks a submit body the way the real API does (docs/ARCHITECTURE.md "API facts we rely on"): wrong values are a
 * 400 with a clear message, but unknown keys are ignored and the run is still billed, so they are only reported
 * back to be counted.
 */
export interface CheckedInput {
  durationSeconds: number;
  ignoredKeys: string[];
  /** `enable_sync_mode: true`: the official SDKs' option to hold the submit until the task ends. */
  syncMode: boolean;
  /** The media URLs the task would fetch (`image`, `end_image`). */
  mediaUrls: string[];
}

/** Platform-level keys every model accepts (the SDK adds `enable_sync_mode` itself). */
const PLATFORM_KEYS = ['enable_sync_mode'];
const IMAGE_KEYS = new Set(['image', 'end_image']);

function bad(message: string): HttpError {
  return new HttpError(400, message);
}

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function checkText(name: string, value: unknown, max: number): void {
  if (typeof value !== 'string' || value.trim() === '' || value.length > max) {
    throw bad(`${name} must be a non-empty string of at most ${max} characters, got ${show(value)}`);
  }
}

function checkUrl(name: string, value: unknown): string {
  if (typeof value !== 'string' || !/^(https?:\/\/\S+|data:[\w/+.-]+;base64,)/i.test(value)) {
    throw bad(`${name} must be an http(s) URL of an image, got ${show(value)}`);
  }
  return value;
}

function checkInteger(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw bad(`${name} must be an integer from ${min} to ${max}, got ${show(value)}`);
  }
  return value;
}

function checkMultiPrompt(value: unknown, duration: number): void {
  if (!Array.isArray(value) || value.length < 1 || value.length > 6) {
    throw bad(`multi_prompt must be a list of 1 to 6 items, got ${show(value)}`);
  }
  let sum = 0;
  value.forEach((item: unknown, i) => {
    if (typeof item !== 'object' || item === null) throw bad(`multi_prompt[${i}] must be an object {prompt, duration}`);
    const shot = item as Record<string, unknown>;
    checkText(`multi_prompt[${i}].prompt`, shot.prompt, 512);
    sum += checkInteger(`multi_prompt[${i}].duration`, shot.duration, 1, 15);
  });
  if (sum !== duration) throw bad(`multi_prompt durations sum to ${sum}, but duration is ${duration}: they must be equal`);
}

function checkElements(value: unknown): void {
  if (!Array.isArray(value) || value.length > 3) throw bad(`element_list must be a list of at most 3 items, got ${show(value)}`);
  value.forEach((item: unknown, i) => {
    const id = typeof item === 'object' && item !== null ? (item as Record<string, unknown>).element_id : undefined;
    const ok = (typeof id === 'string' && /^\d+$/.test(id)) || (typeof id === 'number' && Number.isSafeInteger(id) && id > 0);
    if (!ok) throw bad(`element_list[${i}].element_id must be a numeric id, got ${show(id)}`);
  });
}

function checkPrompts(body: Record<string, unknown>, duration: number, takesImage: boolean): void {
  const hasPrompt = body.prompt !== undefined;
  const hasMulti = body.multi_prompt !== undefined;
  if (hasPrompt === hasMulti) throw bad('Exactly one of prompt or multi_prompt is required');
  if (hasPrompt) checkText('prompt', body.prompt, 2500);
  if (hasMulti) {
    if (takesImage && body.end_image !== undefined) throw bad('end_image cannot be used with multi_prompt');
    checkMultiPrompt(body.multi_prompt, duration);
  }
}

function checkOptional(body: Record<string, unknown>): void {
  if (body.negative_prompt !== undefined) checkText('negative_prompt', body.negative_prompt, 2500);
  const cfg = body.cfg_scale;
  if (cfg !== undefined && (typeof cfg !== 'number' || !Number.isFinite(cfg) || cfg < 0 || cfg > 1)) {
    throw bad(`cfg_scale must be a number from 0 to 1, got ${show(cfg)}`);
  }
  if (body.sound !== undefined && typeof body.sound !== 'boolean') throw bad(`sound must be a boolean, got ${show(body.sound)}`);
  if (body.shot_type !== undefined && body.shot_type !== 'customize' && body.shot_type !== 'intelligent') {
    throw bad(`shot_type must be "customize" or "intelligent", got ${show(body.shot_type)}`);
  }
  if (body.element_list !== undefined) checkElements(body.element_list);
  const sync = body.enable_sync_mode;
  if (sync !== undefined && typeof sync !== 'boolean') throw bad(`enable_sync_mode must be a boolean, got ${show(sync)}`);
}

/** Validates a submit body for `model`; throws HttpError(400) on the first bad value. */
export function checkVideoInput(model: ModelInfo, body: Record<string, unknown>): CheckedInput {
  const known = new Set<string>([...REQUEST_FIELDS, ...PLATFORM_KEYS].filter((k) => model.takesImage || !IMAGE_KEYS.has(k)));
  const ignoredKeys = Object.keys(body).filter((k) => !known.has(k));
  const mediaUrls: string[] = [];
  if (model.takesImage) {
    if (body.image === undefined) throw bad(`image is required for ${model.id}`);
    mediaUrls.push(checkUrl('image', body.image));
    if (body.end_image !== undefined) mediaUrls.push(checkUrl('end_image', body.end_image));
  }
  const duration = body.duration === undefined ? 5 : checkInteger('duration', body.duration, 3, 15);
  checkPrompts(body, duration, model.takesImage);
  checkOptional(body);
  return { durationSeconds: duration, ignoredKeys, syncMode: body.enable_sync_mode === true, mediaUrls };
}
