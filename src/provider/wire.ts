import { z } from 'zod';

/**
 * Wire schemas (docs/ARCHITECTURE.md "API facts we rely on"). Parsing is deliberately loose (unknown keys kept,
 * optional fields nullish) and every place that accepts two shapes says so: several shapes are guesses, not
 * documentation.
 */

const KNOWN_STATUSES = ['created', 'processing', 'completed', 'failed', 'cancelled', 'timeout', 'deleted'] as const;
type KnownStatus = (typeof KNOWN_STATUSES)[number];
/** A known status, or any other string the server sends, kept as is. */
type PredictionStatus = KnownStatus | (string & {});

const TERMINAL: ReadonlySet<string> = new Set(['completed', 'failed', 'cancelled', 'timeout', 'deleted']);

/** Whether a status will never change again (the official clients treat cancelled/timeout/deleted as final). */
export function isTerminal(status: string): boolean {
  return TERMINAL.has(status.toLowerCase());
}

export interface Prediction {
  id: string;
  model?: string;
  status: PredictionStatus;
  /** Output URLs, in order. Empty until completed. */
  outputs: string[];
  /** The outputs as sent, when some were not plain URLs (objects, e.g. kling-elements' `{element_id}`). */
  rawOutputs?: unknown[];
  /** The server's error text; absent when it sent "" or nothing. */
  error?: string;
  /** Task error code (1200 moderation, 1402 media URL, 5xxx server...), when one could be found. */
  taskCode?: number;
  createdAt?: string;
  input?: Record<string, unknown>;
  hasNsfw?: boolean[];
  inferenceMs?: number;
}

export const EnvelopeSchema = z.looseObject({
  code: z.number().optional(),
  message: z.string().nullish(),
  data: z.unknown(),
});

const CodeLike = z.union([z.number(), z.string()]).nullish();

export const PredictionDataSchema = z.looseObject({
  id: z.string().min(1),
  model: z.string().nullish(),
  status: z.string().min(1),
  outputs: z.array(z.unknown()).nullish(),
  error: z.string().nullish(),
  // [guess] where a task error code lives is undocumented: data.error_code, data.code, or the error text.
  error_code: CodeLike,
  code: CodeLike,
  has_nsfw_contents: z.array(z.boolean()).nullish(),
  created_at: z.string().nullish(),
  // [guess] the docs' list items show no input; the official CLI types both `input` and `inputs` as optional.
  input: z.record(z.string(), z.unknown()).nullish(),
  inputs: z.record(z.string(), z.unknown()).nullish(),
  timings: z.looseObject({ inference: z.number().nullish() }).nullish(),
});
export type PredictionData = z.infer<typeof PredictionDataSchema>;

// [guess] the list's `data` is documented as {page, total?, items[]}; some gateways send the array itself.
export const ListDataSchema = z.union([
  z.looseObject({ page: z.number().nullish(), total: z.number().nullish(), items: z.array(z.unknown()).nullish() }),
  z.array(z.unknown()),
]);

const UsdLike = z.union([z.number(), z.string()]);
export const BalanceDataSchema = z.looseObject({ balance: UsdLike });
export const PriceDataSchema = z.looseObject({ price: UsdLike, discounted_price: UsdLike.nullish() });
/**
 * [doc: CLI code] `POST /api/v3/billings/search` → `data: {page, has_more, items[]}`; an item `{uuid, billing_type,
 * price, created_at, prediction?: {uuid, model_uuid, status}, order?}`. [guess] the sign of a refund's `price` and
 * the names of `billing_type` are undocumented: the type is kept as sent and the amount read as a magnitude by the
 * caller; an item without a prediction (a top-up, an order) is kept with none.
 */
export const BillingItemSchema = z.looseObject({
  uuid: z.string().nullish(),
  billing_type: z.string().nullish(),
  price: UsdLike,
  created_at: z.string().nullish(),
  prediction: z.looseObject({ uuid: z.string().nullish(), model_uuid: z.string().nullish(), status: z.string().nullish() }).nullish(),
});
export const BillingPageSchema = z.looseObject({
  page: z.number().nullish(),
  has_more: z.boolean().nullish(),
  items: z.array(z.unknown()).nullish(),
});

export const UploadDataSchema = z.looseObject({
  // [guess] `download_url` is documented; `url` is accepted in case a server names it so.
  download_url: z.string().min(1).nullish(),
  url: z.string().min(1).nullish(),
  filename: z.string().nullish(),
  size: z.number().nullish(),
  type: z.string().nullish(),
});

function toCode(value: string | number | null | undefined): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) && value > 0 ? value : undefined;
  if (typeof value === 'string' && /^\d+$/.test(value.trim())) return Number(value.trim());
  return undefined;
}

/** [guess] The task code: `error_code`, else `code`, else a leading number in the error text (`1200: ...`). */
function taskCodeOf(data: PredictionData): number | undefined {
  const leading = /^\s*[[(]?(\d{3,5})\b/.exec(data.error ?? '');
  return toCode(data.error_code) ?? toCode(data.code) ?? (leading ? Number(leading[1]) : undefined);
}

/** [guess] Outputs are URL strings for video models; objects with a `url` are accepted too. */
function outputUrls(outputs: readonly unknown[]): { urls: string[]; allUrls: boolean } {
  const urls: string[] = [];
  for (const item of outputs) {
    if (typeof item === 'string') urls.push(item);
    else if (item && typeof item === 'object' && typeof (item as { url?: unknown }).url === 'string') {
      urls.push((item as { url: string }).url);
    }
  }
  return { urls, allUrls: urls.length === outputs.length && outputs.every((o) => typeof o === 'string') };
}

export function toPrediction(data: PredictionData): Prediction {
  const raw = data.outputs ?? [];
  const { urls, allUrls } = outputUrls(raw);
  const p: Prediction = { id: data.id, status: data.status, outputs: urls };
  if (!allUrls) p.rawOutputs = [...raw];
  if (data.model) p.model = data.model;
  if (data.error) p.error = data.error;
  // Only a failed task has a task code; a `code` on a healthy prediction means something else (if anything).
  const taskCode = data.error || data.status === 'failed' ? taskCodeOf(data) : undefined;
  if (taskCode !== undefined) p.taskCode = taskCode;
  if (data.created_at) p.createdAt = data.created_at;
  const input = data.input ?? data.inputs;
  if (input) p.input = input;
  if (data.has_nsfw_contents) p.hasNsfw = data.has_nsfw_contents;
  if (typeof data.timings?.inference === 'number') p.inferenceMs = data.timings.inference;
  return p;
}
