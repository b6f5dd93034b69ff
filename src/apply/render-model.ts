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

/**
 * The window assumed around an estimate on one render: two renders of the same shot may differ by the server's
 * jitter each way. It shrinks as renders accumulate (× 2 / (n + 1)), while the spread actually seen takes over.
 */
const PRIOR_SPREAD = 0.3;
/** The same, on another kind of shot of the same model (a last frame, sound... may cost more per second). */
const OTHER_KIND_SPREAD = 0.35;
const MIN_SPREAD = 0.03;
const MAX_SPREAD = 0.5;
/** A line through fewer durations than this is not trusted to extrapolate: per second of video instead. */
const LINE_DURATIONS = 3;
/** Estimates on fewer renders than this may still move a lot: waits planned on them are woken by news. */
export const SETTLED_SAMPLES = 5;

interface KeyStats {
  n: number;
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
  keys: Map<number, KeyStats>;
}

interface Fit {
  at(duration: number): number;
  /**
   * How far off the fit itself may be at `duration`, in units of one render's own scatter: the leverage of a
   * least-squares line (sqrt(1/n + (d − mean)² / Σ(d − mean)²)); far from the durations seen, a line is uncertain.
   */
  leverage(duration: number): number;
}

/**
 * The expected run time by duration: a line (ms = a + b × duration, least squares) once renders of three durations
 * or more are known, else (or when the line would run through negative time) proportional to the duration. A line
 * through two nearby durations, each render off by its jitter, extrapolates wildly; per second of video does not.
 */
function fitOf(g: GroupStats): Fit {
  const det = g.n * g.sdd - g.sd * g.sd;
  const mean = g.sd / g.n;
  const leverage = (d: number) => Math.sqrt(1 / g.n + (det > 1e-9 ? ((d - mean) ** 2 * g.n) / det : 0));
  if (g.keys.size >= LINE_DURATIONS && det > 1e-9) {
    const b = (g.n * g.sdr - g.sd * g.sr) / det;
    const a = (g.sr - b * g.sd) / g.n;
    if (b >= 0 && a >= 0) return { at: (d) => a + b * d, leverage };
    if (b < 0) return { at: () => g.sr / g.n, leverage }; // longer videos not slower: the mean
  }
  const perSecond = g.sd > 0 ? g.sr / g.sd : 0;
  return { at: (d) => perSecond * d, leverage: () => Math.sqrt(1 / g.n) };
}

/**
 * Render times learned from completed predictions (docs/ARCHITECTURE.md "Polling"): the server's
 * `timings.inference` of this run's renders, and those the lockfile kept from earlier runs. Pure: no clock, no
 * I/O; O(1) per observation, O(durations seen) per estimate, whatever the number of renders.
 */
export class RenderModel {
  private readonly groups = new Map<string, GroupStats>();
  private readonly perModel = new Map<string, { n: number; sd: number; sr: number }>();
  private wake: { promise: Promise<void>; resolve: () => void } | undefined;

  /** A render of `key` ran `ms` from start to end. */
  observe(key: RenderKey, ms: number): void {
    if (!(ms > 0) || !(key.duration > 0) || !Number.isFinite(ms)) return;
    const groupKey = `${key.model}\n${key.kind}`;
    let g = this.groups.get(groupKey);
    if (!g) {
      g = { n: 0, sd: 0, sr: 0, sdd: 0, sdr: 0, keys: new Map() };
      this.groups.set(groupKey, g);
    }
    const d = key.duration;
    g.n++;
    g.sd += d;
    g.sr += ms;
    g.sdd += d * d;
    g.sdr += d * ms;
    const k = g.keys.get(d) ?? { n: 0, min: ms, max: ms };
    g.keys.set(d, k);
    k.n++;
    k.min = Math.min(k.min, ms);
    k.max = Math.max(k.max, ms);
    const m = this.perModel.get(key.model) ?? { n: 0, sd: 0, sr: 0 };
    m.n++;
    m.sd += d;
    m.sr += ms;
    this.perModel.set(key.model, m);
    const wake = this.wake;
    this.wake = undefined;
    wake?.resolve();
  }

  /**
   * The expected run time of a render of `key`, or undefined while nothing of its model is known. The middle is the
   * fit over every render of the model and kind (every duration informs every other); the window reaches from the
   * furthest any render fell below its duration's fit to the furthest any rose above it, widened by the prior
   * spread while renders are few.
   */
  estimate(key: RenderKey): RenderEstimate | undefined {
    const g = this.groups.get(`${key.model}\n${key.kind}`);
    if (!g) {
      // Another kind of shot of the same model: proportional to the duration, with a wide window.
      const m = this.perModel.get(key.model);
      if (!m || m.sd <= 0) return undefined;
      const spread = OTHER_KIND_SPREAD + priorSpread(m.n);
      return window((m.sr / m.sd) * key.duration, -spread, spread, 0);
    }
    const fit = fitOf(g);
    let below = 0;
    let above = 0;
    for (const [d, k] of g.keys) {
      const expected = fit.at(d);
      if (!(expected > 0)) continue;
      below = Math.min(below, k.min / expected - 1);
      above = Math.max(above, k.max / expected - 1);
    }
    // Few renders: the prior spread; a duration far from those seen: the fit's own uncertainty, scaled by the scatter.
    const margin = priorSpread(g.n) + Math.max(-below, above) * fit.leverage(key.duration);
    return window(fit.at(key.duration), below - margin, above + margin, g.n);
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

/** The prior spread left after `n` renders: all of it on one, a fifth of it on nine. */
const priorSpread = (n: number): number => (PRIOR_SPREAD * 2) / (n + 1);

/** A window from `below` to `above` (relative, below ≤ 0 ≤ above) around `midMs`, each side 3 % to 50 %. */
function window(midMs: number, below: number, above: number, samples: number): RenderEstimate {
  const clamp = (s: number) => Math.min(MAX_SPREAD, Math.max(MIN_SPREAD, s));
  return { midMs, lowMs: midMs * (1 - clamp(-below)), highMs: midMs * (1 + clamp(above)), samples };
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
