import type { LockTake } from '../lock/schema.js';
import type { Prediction, WaveSpeedClient } from '../provider/index.js';
import { canonicalJson } from '../util/canonical-json.js';

/**
 * Settling a submit whose outcome is unknown (docs/ARCHITECTURE.md "Money rules", rule 2): by positive evidence
 * only. A listed prediction is evidence for an open intent when it is of the same model, was created inside the
 * intent's window (in the server's clock, whose offset is measured from its Date headers), is claimed by no
 * take, and, where the list shows inputs, has the intent's input (compared after what a server may normalise:
 * image URLs it stored under its own name). An intent is settled only when it has exactly one such candidate
 * and that candidate fits no other open intent. Absence from a list is never evidence: a list may lag, filter by
 * a skewed clock, or rewrite what it shows; an intent with no evidence stays "outcome unknown", counted as spent,
 * until the user adopts a prediction id or forgets it.
 */

export interface OpenIntent {
  shot: string;
  take: LockTake;
  /** The body that was (maybe) sent: the recorded request with the upload URLs that stood for local images. */
  body: Record<string, unknown>;
  /** Our clock: when the intent was written, and when the request was given up (or would have been). */
  sentAt: number;
  givenUpAt: number;
}

interface Match {
  intent: OpenIntent;
  prediction: Prediction;
}

export interface Evidence {
  matches: Match[];
  /** Whether the list showed inputs (so matches are by input, not by time alone). */
  inputsShown: boolean;
  /** Why some intents could not be settled, for the user. */
  note?: string;
}

export interface FindEvidenceOptions {
  model: string;
  intents: readonly OpenIntent[];
  claimed: ReadonlySet<string>;
  signal?: AbortSignal;
}

/** How far a creation time may stray from our window, beyond the measured clock offset. */
const WINDOW_TOLERANCE_MS = 5_000;
/** Without a Date header the offset is unknown: the window is widened this much each way (more ambiguity, never a guess). */
const UNKNOWN_OFFSET_SLACK_MS = 15 * 60_000;
const PAGE = 100;
const MAX_PAGES = 20;

/** List the predictions of the intents' windows and return the pairs that are evidence (see above). */
export async function findEvidence(client: WaveSpeedClient, o: FindEvidenceOptions): Promise<Evidence> {
  if (o.intents.length === 0) return { matches: [], inputsShown: false };
  const offset = client.serverClockOffsetMs();
  const slack = WINDOW_TOLERANCE_MS + (offset === undefined ? UNKNOWN_OFFSET_SLACK_MS : 0);
  const shift = offset ?? 0;
  const windows = o.intents.map((i) => ({ intent: i, from: i.sentAt + shift - slack, to: i.givenUpAt + shift + slack }));
  const from = Math.min(...windows.map((w) => w.from));
  const to = Math.max(...windows.map((w) => w.to));
  const listed: Prediction[] = [];
  let truncated = false;
  for (let page = 1; ; page++) {
    const result = await client.listPredictions(
      { page, page_size: PAGE, model: o.model, created_after: new Date(from).toISOString(), created_before: new Date(to).toISOString() },
      { signal: o.signal },
    );
    listed.push(...result.items);
    const done = result.items.length < PAGE || (result.total !== undefined && page * PAGE >= result.total);
    if (done) break;
    if (page >= MAX_PAGES) {
      truncated = true;
      break;
    }
  }
  const inputsShown = listed.some((p) => p.input !== undefined);
  const candidates = new Map<OpenIntent, Prediction[]>(windows.map((w) => [w.intent, []]));
  const fits = new Map<Prediction, OpenIntent[]>();
  for (const p of listed) {
    if (o.claimed.has(p.id) || (p.model !== undefined && p.model !== o.model)) continue;
    const created = p.createdAt === undefined ? NaN : Date.parse(p.createdAt);
    for (const w of windows) {
      const inWindow = Number.isFinite(created) ? created >= w.from && created <= w.to : p.input !== undefined;
      if (!inWindow) continue;
      if (p.input !== undefined && !sameInput(p.input, w.intent.body)) continue;
      candidates.get(w.intent)!.push(p);
      fits.set(p, [...(fits.get(p) ?? []), w.intent]);
    }
  }
  const matches: Match[] = [];
  for (const [intent, preds] of candidates) {
    const [only] = preds;
    if (preds.length === 1 && only && fits.get(only)?.length === 1) matches.push({ intent, prediction: only });
  }
  const unsettled = o.intents.length - matches.length;
  const note =
    unsettled === 0
      ? undefined
      : truncated
        ? `more than ${MAX_PAGES * PAGE} predictions in the window`
        : inputsShown
          ? 'no listed prediction has its input, or several could be it'
          : 'the server lists predictions without their inputs, and no single prediction in its time window could be told apart';
  return { matches, inputsShown, note };
}

const IMAGE_FIELDS = new Set(['image', 'end_image']);

/**
 * Whether a listed input is the body we sent. Fields we sent are compared when the list shows them; the prompt
 * (or multi-prompt) and the duration must be shown and equal. Image URLs may be shown as the server's own copy:
 * any URL there counts as the same image.
 */
export function sameInput(listed: Record<string, unknown>, sent: Record<string, unknown>): boolean {
  const identity = sent.multi_prompt !== undefined ? 'multi_prompt' : 'prompt';
  for (const key of [identity, 'duration']) if (listed[key] === undefined && sent[key] !== undefined) return false;
  for (const [key, value] of Object.entries(sent)) {
    const shown = listed[key];
    if (shown === undefined) continue;
    if (IMAGE_FIELDS.has(key)) {
      if (typeof shown !== 'string' || typeof value !== 'string') return false;
      if (shown !== value && !/^https?:\/\//i.test(shown)) return false;
      continue;
    }
    if (canonicalJson(shown) !== canonicalJson(value)) return false;
  }
  return true;
}
