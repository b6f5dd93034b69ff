import type { Sleep } from '../util/sleep.js';

/** How a submit that was given its turn ended, as far as the account's submit limit is concerned. */
export type SubmitEnd =
  /** Accepted, or its outcome is unknown (it may have been created: it may count against the limit). */
  | 'sent'
  /** Refused with 429: nothing was created. */
  | 'rate-limited'
  /** Refused for another reason, or never sent (an upload failed, the run stopped). */
  | 'unused';

/** One submit's turn: ended once, with what became of it. */
export interface SubmitTurn {
  end(how: SubmitEnd, retryAfterMs?: number): void;
}

export interface SubmitPacerOptions {
  now: () => number;
  sleep: Sleep;
  /** The span the account's limit counts submits over (tiers say "per minute"). */
  windowMs?: number;
}

const FIRST_BACKOFF_MS = 1000;
/** How far a Retry-After (whole seconds, rounded up) may be from the window's own figure and still agree. */
const AGREEMENT_MS = 2000;
const MAX_BACKOFF_MS = 30_000;

/**
 * The account's submit rate, shared by every shot of a run (docs/ARCHITECTURE.md "Pacing submits"). Submits take
 * turns in order. Nothing is paced until the server refuses one with 429: then every submit waits for its
 * Retry-After (or a backoff from 1 s, doubled per refusal in a row, when it sends none). When the Retry-After is
 * when the oldest of our submits in the trailing window leaves it, the limit is learned as the number in that
 * window, and from then on at most that many go out in any window, so the next refusals do not come. A window
 * without refusal lets one more through (a probe: the tier may be higher). A 429 is a definite refusal, so the
 * shot it refused is simply sent again in a later turn; a submit whose outcome is unknown counts as sent and is
 * never sent again (money rule 3). Pure: clock and sleep injected.
 */
export class SubmitPacer {
  private readonly windowMs: number;
  /** When each submit counted in the window went out (kept oldest first). */
  private readonly sent: number[] = [];
  private head = 0;
  /** Turns given and not yet ended: they may count. */
  private open = 0;
  private limit = Infinity;
  private gateUntil = 0;
  private lastRefusalAt = -Infinity;
  private backoffMs = FIRST_BACKOFF_MS;
  /** After a refusal, the server's Retry-After says a place is free then: one turn goes then whatever the count. */
  private pass = false;
  private turns: Promise<unknown> = Promise.resolve();
  private halted = false;
  private wake = new AbortController();
  /** The end of the last sleep that ran its course: an injected sleep need not move the clock. */
  private sleptUntil = -Infinity;
  /** 429s answered to this run's submits. */
  refusals = 0;

  constructor(private readonly o: SubmitPacerOptions) {
    this.windowMs = o.windowMs ?? 60_000;
  }

  /** The learned limit per window (Infinity until a 429 taught one). */
  get learnedLimit(): number {
    return this.limit;
  }

  /**
   * Wait for this submit's turn. Resolves at once after `halt()`: the caller checks why before sending. The turn
   * must be ended (`end`: the first call counts, later ones do nothing).
   */
  acquire(signal?: AbortSignal): Promise<SubmitTurn> {
    const mine = this.turns.then(() => this.waitForRoom(signal));
    this.turns = mine.catch(() => undefined);
    return mine.then(() => {
      let ended = false;
      return {
        end: (how, retryAfterMs) => {
          if (ended) return;
          ended = true;
          this.ended(how, retryAfterMs);
        },
      };
    });
  }

  private ended(how: SubmitEnd, retryAfterMs?: number): void {
    this.open = Math.max(0, this.open - 1);
    const now = this.o.now();
    if (how === 'sent') {
      this.sent.push(now);
      this.backoffMs = FIRST_BACKOFF_MS;
      // The server took this many in one window: the limit is at least that.
      if (this.limit !== Infinity) this.limit = Math.max(this.limit, this.inWindow(now));
    } else if (how === 'rate-limited') {
      this.refusals++;
      this.lastRefusalAt = now;
      this.pass = true;
      const counted = this.inWindow(now);
      // Learned only when the server's Retry-After agrees with a window of our own submits: the oldest leaves it
      // when the server says a place frees (whole seconds, rounded up). Refusals that do not fit (another client on
      // the key, a server that counts otherwise) are waited out, and teach nothing.
      const oldestLeaves = counted > 0 ? (this.sent[this.head] ?? now) + this.windowMs : undefined;
      if (retryAfterMs !== undefined && oldestLeaves !== undefined && Math.abs(oldestLeaves - (now + retryAfterMs)) <= AGREEMENT_MS) {
        this.limit = counted;
      }
      const wait = retryAfterMs ?? this.backoffMs;
      if (retryAfterMs === undefined) this.backoffMs = Math.min(MAX_BACKOFF_MS, this.backoffMs * 2);
      this.gateUntil = Math.max(this.gateUntil, now + wait);
    }
    this.poke();
  }

  /** No more submits: every waiting turn is given at once (and then not used). */
  halt(): void {
    this.halted = true;
    this.poke();
  }

  private poke(): void {
    const wake = this.wake;
    this.wake = new AbortController();
    wake.abort();
  }

  private inWindow(now: number): number {
    while (this.head < this.sent.length && (this.sent[this.head] ?? 0) + this.windowMs <= now) this.head++;
    if (this.head > 1024 && this.head * 2 > this.sent.length) {
      this.sent.splice(0, this.head);
      this.head = 0;
    }
    return this.sent.length - this.head;
  }

  private async waitForRoom(signal: AbortSignal | undefined): Promise<void> {
    for (;;) {
      if (this.halted) {
        this.open++;
        return;
      }
      const now = Math.max(this.o.now(), this.sleptUntil);
      const counted = this.inWindow(now);
      let until = this.gateUntil;
      if (this.pass && until <= now) {
        this.pass = false;
        this.open++;
        return;
      }
      if (!this.pass && counted + this.open >= this.limit) {
        if (now - this.lastRefusalAt >= this.windowMs) {
          // A whole window without a refusal: the account may allow more (a probe; a 429 costs nothing).
          this.limit++;
          this.lastRefusalAt = now;
          continue;
        }
        // The oldest counted submit leaves the window then; with none yet answered, the next answer tells.
        until = Math.max(until, counted > 0 ? (this.sent[this.head] ?? now) + this.windowMs : Infinity);
      }
      if (until <= now) {
        this.open++;
        return;
      }
      if (await this.pause(until - now, signal)) this.sleptUntil = until;
    }
  }

  /**
   * Sleep up to `ms` (Infinity: until poked), cut short by `end` or `halt`; rejects when `signal` aborts. True when
   * the sleep ran its course.
   */
  private async pause(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
    const wake = this.wake.signal;
    const both = signal ? AbortSignal.any([signal, wake]) : wake;
    if (both.aborted) {
      if (signal?.aborted) throw signal.reason;
      return false;
    }
    try {
      if (ms === Infinity) await new Promise<void>((_, reject) => both.addEventListener('abort', () => reject(both.reason), { once: true }));
      else await this.o.sleep(ms, both);
      return true;
    } catch (err) {
      if (signal?.aborted) throw err;
      return false;
    }
  }
}
