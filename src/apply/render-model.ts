import type { Lockfile } from '../lock/schema.js';

/**
 * What render times are learned by (docs/ARCHITECTURE.md "Polling"): the model, the kind of shot (what the
 * request asks for beyond a prompt), and the duration in seconds.
 */
export interface RenderKey {
  model: string;
  kind: string;
  duration: number;
}

/** How long a render is expected to run once started: the middle, and a window around it. */
export interface RenderEstimate {
  midMs: number;
  lowMs: number;
  highMs: number;
  /** Renders of this model and kind the estimate stands on. */
  samples: number;
}

/** The kind of a shot, from its request: image or text to video, a last frame, several prompts, sound. */
export function shotKind(request: Record<string, unknown>): string {
  const parts = [request.image === undefined ? 't2v' : 'i2v'];
  if (request.end_image !== undefined) parts.push('end');
  if (Array.isArray(request.multi_prompt)) parts.push('multi');
  if (request.sound === true) parts.push('sound');
  return parts.join('+');
}

/** Spread assumed around an estimate until two renders of one duration show how much they vary. */
const UNKNOWN_SPREAD = 0.25;
/** Extra spread when an estimate comes from other durations (the fit) or from another kind of shot. */
const FIT_MARGIN = 0.05;
const OTHER_KIND_SPREAD = 0.35;
const MIN_SPREAD = 0.03;
const MAX_SPREAD = 0.5;
/** Estimates on fewer renders than this may still move a lot: waits planned on them are woken by news. */
export const SETTLED_SAMPLES = 3;

interface KeyStats {
  n: number;
  sum: number;
  min: number;
  max: number;
}

/** Running sums for a least-squares fit of ms = a + b × duration over one model and kind. */
interface GroupStats {
  n: number;
  sd: number;
  sr: number;
  sdd: number;
  sdr: number;
  /** The largest relative half-range (max − min) / (max + min) of any one duration seen twice or more. */
  spread: number | undefined;
  keys: Map<number, KeyStats>;
}

function fitOf(g: GroupStats): (duration: number) => number {
  const det = g.n * g.sdd - g.sd * g.sd;
  if (det > 1e-9) {
    const b = (g.n * g.sdr - g.sd * g.sr) / det;
    const a = (g.sr - b * g.sd) / g.n;
    if (b >= 0 && a >= 0) return (d) => a + b * d;
    if (b < 0) return () => g.sr / g.n; // longer videos not slower: the mean
  }
  // One duration only (or a fit through negative time): proportional to the duration.
  const perSecond = g.sd > 0 ? g.sr / g.sd : 0;
  return (d) => perSecond * d;
}

/**
 * Render times learned from completed predictions (docs/ARCHITECTURE.md "Polling"): the server's
 * `timings.inference` of this run's renders, and those the lockfile kept from earlier runs. Pure: no clock, no
 * I/O; O(1) per observation and per estimate whatever the number of renders.
 */
export class RenderModel {
  private readonly groups = new Map<string, GroupStats>();
  private readonly perModel = new Map<string, { sd: number; sr: number }>();
  private wake: { promise: Promise<void>; resolve: () => void } | undefined;

  /** A render of `key` ran `ms` from start to end. */
  observe(key: RenderKey, ms: number): void {
    if (!(ms > 0) || !(key.duration > 0) || !Number.isFinite(ms)) return;
    const groupKey = `${key.model}\n${key.kind}`;
    let g = this.groups.get(groupKey);
    if (!g) {
      g = { n: 0, sd: 0, sr: 0, sdd: 0, sdr: 0, spread: undefined, keys: new Map() };
      this.groups.set(groupKey, g);
    }
    const d = key.duration;
    g.n++;
    g.sd += d;
    g.sr += ms;
    g.sdd += d * d;
    g.sdr += d * ms;
    const k = g.keys.get(d) ?? { n: 0, sum: 0, min: ms, max: ms };
    g.keys.set(d, k);
    k.n++;
    k.sum += ms;
    k.min = Math.min(k.min, ms);
    k.max = Math.max(k.max, ms);
    if (k.n >= 2) g.spread = Math.max(g.spread ?? 0, (k.max - k.min) / (k.max + k.min));
    const m = this.perModel.get(key.model) ?? { sd: 0, sr: 0 };
    m.sd += d;
    m.sr += ms;
    this.perModel.set(key.model, m);
    const wake = this.wake;
    this.wake = undefined;
    wake?.resolve();
  }

  /** The expected run time of a render of `key`, or undefined while nothing of its model is known. */
  estimate(key: RenderKey): RenderEstimate | undefined {
    const g = this.groups.get(`${key.model}\n${key.kind}`);
    if (!g) {
      // Another kind of shot of the same model: proportional to the duration, with a wide window.
      const m = this.perModel.get(key.model);
      if (!m || m.sd <= 0) return undefined;
      return window((m.sr / m.sd) * key.duration, OTHER_KIND_SPREAD, 0);
    }
    const own = g.keys.get(key.duration);
    const mid = own && own.n >= 2 ? own.sum / own.n : fitOf(g)(key.duration);
    const fitted = !own || own.n < 2;
    const spread = (g.spread ?? UNKNOWN_SPREAD) + (fitted && g.spread !== undefined ? FIT_MARGIN : 0);
    return window(mid, spread, g.n);
  }

  /** Resolves at the next observation: a wait planned on little knowledge can be planned again. */
  changed(): Promise<void> {
    if (!this.wake) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      this.wake = { promise, resolve };
    }
    return this.wake.promise;
  }
}

function window(midMs: number, spread: number, samples: number): RenderEstimate {
  const s = Math.min(MAX_SPREAD, Math.max(MIN_SPREAD, spread));
  return { midMs, lowMs: midMs * (1 - s), highMs: midMs * (1 + s), samples };
}

/**
 * The render times earlier runs recorded for `endpoint` (a take's `render_ms`, the server's own figure): the
 * second apply of a campaign starts informed. Renders on another endpoint say nothing about this one.
 */
export function learnFromLock(model: RenderModel, lock: Lockfile, endpoint: string): void {
  for (const shot of Object.values(lock.endpoints[endpoint]?.shots ?? {})) {
    for (const take of shot.takes) {
      if (take.status !== 'completed' || take.render_ms === undefined) continue;
      model.observe({ model: take.model, kind: shotKind(take.request), duration: take.duration }, take.render_ms);
    }
  }
}
