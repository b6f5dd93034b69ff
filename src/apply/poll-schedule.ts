import { pollDelayMs, type PollPolicy, type PollSchedule, type Prediction } from '../provider/index.js';
import { type RenderKey, type RenderModel, SETTLED_SAMPLES } from './render-model.js';

/** While the server shows a task queued, it is looked at this many times per expected render (to see it start). */
const QUEUED_LOOKS_PER_RENDER = 4;
/**
 * While nothing is known, no wait is longer than this fraction of the time waited so far: the first render to
 * finish is seen at most that late, and it is what informs every other prediction in flight.
 */
const COLD_FRACTION = 0.1;
/** The least wait after an answer, as a share of the floor (the floor itself runs from the poll's send). */
const REST_AFTER_ANSWER = 0.5;

/**
 * When to poll one prediction (docs/ARCHITECTURE.md "Polling"). With an estimate of the render's run time
 * (`RenderModel`), the first poll is due when the render may first have finished (start + the low end of the
 * estimate), then every `initialMs` (the floor, `--poll-interval`) until the high end has passed, then waits grow
 * by `factor` per poll up to `maxMs`. The start is what the answers show: not before the submit, nor before the
 * last answer that still said `created` (queued behind the account's running limit); by the first that said
 * `processing` at the latest. While nothing is known of the model, the growing schedule of `policy`
 * (`pollDelayMs`), no wait longer than a tenth of the time waited so far. No poll is sent sooner than `initialMs`
 * after the one before was sent (or after the submit), nor sooner than half of it after its answer. Pure: time
 * comes in as arguments.
 */
export class LearnedSchedule implements PollSchedule {
  private lastPollAt: number | undefined;
  private polls = 0;
  /** The render had not started by this time (the submit, or the last answer that said `created`). */
  private startLo: number;
  /** The render had started by this time (the first answer that said `processing`). */
  private startHi: number | undefined;
  private queued = false;
  /** Whether the last plan stood on little or nothing: news from the model may move it earlier. */
  private weak = true;
  private readonly fallbackWaits: number[] = [];

  constructor(
    private readonly model: RenderModel,
    private readonly key: RenderKey,
    sentAt: number,
    private readonly policy: PollPolicy,
    private readonly random: () => number,
  ) {
    this.startLo = sentAt;
  }

  nextPollAt(_now: number): number {
    const floor = this.policy.initialMs;
    const last = this.lastPollAt ?? this.startLo;
    const estimate = this.model.estimate(this.key);
    this.weak = estimate === undefined || estimate.samples < SETTLED_SAMPLES;
    if (!estimate) return last + this.coldWait(last);
    let wait: number;
    if (this.queued) {
      wait = Math.min(this.policy.maxMs, estimate.lowMs / QUEUED_LOOKS_PER_RENDER);
    } else {
      const first = this.startLo + estimate.lowMs;
      const due = (this.startHi ?? this.startLo) + estimate.highMs;
      if (last < first) wait = Math.min(first - last, this.policy.maxMs);
      else if (last < due) wait = floor;
      // Past the window: each wait grows by `factor` (last − due grows geometrically), up to maxMs.
      else wait = Math.min(this.policy.maxMs, (last - due) * (Math.max(1, this.policy.factor) - 1));
    }
    return last + Math.ceil(Math.max(floor, wait));
  }

  observe(p: Prediction, at: number, sentAt = at): void {
    // The floor runs from the poll's send (a slow answer does not push the next poll later still), with at least
    // half a floor's rest after the answer: a server or client slow to answer is not asked back to back.
    this.lastPollAt = Math.max(sentAt, at - this.policy.initialMs * REST_AFTER_ANSWER);
    this.polls++;
    const status = p.status.toLowerCase();
    this.queued = status === 'created';
    // `created` holds for no later than the poll's send (the server may have answered at once, then started it);
    // `processing` holds by the answer's arrival.
    if (this.queued) this.startLo = Math.max(this.startLo, sentAt);
    else if (status === 'processing') this.startHi ??= at;
  }

  missed(at: number): void {
    // Counted as a poll: the next comes a floor (or the schedule's wait) after it, never at once; three 404s in a
    // row are then spread over the schedule before the prediction is believed gone (docs/ARCHITECTURE.md "Polling").
    this.lastPollAt = at;
    this.polls++;
  }

  changed(): Promise<void> | undefined {
    return this.weak ? this.model.changed() : undefined;
  }

  /** How long a render seen finished at `at` ran at most, as far as the answers tell (no `timings.inference`). */
  runMsUpTo(at: number): number {
    return at - this.startLo;
  }

  /** Nothing known yet: the growing schedule, each wait at most COLD_FRACTION of the time waited since the start. */
  private coldWait(last: number): number {
    const cap = Math.max(this.policy.initialMs, Math.ceil(COLD_FRACTION * (last - this.startLo)));
    return Math.min(this.fallbackWait(this.polls), cap);
  }

  private fallbackWait(index: number): number {
    // Drawn once per poll: planned again after news, a wait must not change by its jitter alone.
    for (let i = this.fallbackWaits.length; i <= index; i++) this.fallbackWaits.push(pollDelayMs(this.policy, i, this.random));
    return this.fallbackWaits[index] ?? this.policy.initialMs;
  }
}
