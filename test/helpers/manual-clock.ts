import { onTestFinished } from 'vitest';
import type { MockClock, MockTimer } from '../../src/mock/index.js';

interface Timer {
  at: number;
  seq: number;
  fn: () => void;
}

/**
 * A clock for the mock server that moves only when the test says so: a prediction stays `created` until the test
 * advances past `processingAfterMs`, an injected latency holds its request until then, and so on. Tests step
 * through timing windows instead of sleeping through them and hoping the sleep was long enough. A test that
 * flows it (`flow()`) must stop it: `onTestFinished(() => clock.freeze())`, or use `manualClock()`.
 */
export class ManualClock implements MockClock {
  private nowMs: number;
  private seq = 0;
  private readonly timers = new Map<number, Timer>();
  private readonly waiters: { count: number; resolve: () => void }[] = [];
  private ticker: NodeJS.Timeout | undefined;

  constructor(startMs = Date.now()) {
    this.nowMs = startMs;
  }

  now(): number {
    return this.nowMs;
  }

  setTimeout(fn: () => void, ms: number): MockTimer {
    const id = ++this.seq;
    this.timers.set(id, { at: this.nowMs + Math.max(0, ms), seq: id, fn });
    for (const w of [...this.waiters]) {
      if (this.timers.size >= w.count) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve();
      }
    }
    return id;
  }

  clearTimeout(timer: MockTimer): void {
    this.timers.delete(timer as number);
  }

  /** Timers not yet fired. */
  get pending(): number {
    return this.timers.size;
  }

  /** Milliseconds until the next timer fires, or undefined when none is pending. */
  nextIn(): number | undefined {
    const next = this.next(Infinity);
    return next === undefined ? undefined : next.at - this.nowMs;
  }

  /**
   * Move time forward by `ms`, firing every timer that falls due on the way, in time order (a timer set by one
   * that fires runs too if it falls within the step). What the callbacks resolve runs after this returns.
   */
  advance(ms: number): void {
    const target = this.nowMs + ms;
    for (let next = this.next(target); next !== undefined; next = this.next(target)) {
      this.timers.delete(next.seq);
      this.nowMs = next.at;
      next.fn();
    }
    this.nowMs = target;
  }

  /**
   * Let time pass at the real pace from here (a run that must finish on its own), in steps of `tickMs`, until
   * `freeze()`. Nothing is skipped: timers fire in order as their time comes.
   */
  flow(tickMs = 5): void {
    if (this.ticker) return;
    let last = Date.now();
    this.ticker = setInterval(() => {
      const now = Date.now();
      this.advance(now - last);
      last = now;
    }, tickMs);
    this.ticker.unref();
  }

  /** Stop the flow of `flow()`: time stands still again until `advance`. */
  freeze(): void {
    clearInterval(this.ticker);
    this.ticker = undefined;
  }

  /** Resolves once at least `count` timers are pending: a request has reached its injected delay, a task started. */
  waitForTimers(count = 1): Promise<void> {
    if (this.timers.size >= count) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ count, resolve }));
  }

  private next(until: number): Timer | undefined {
    let best: Timer | undefined;
    for (const t of this.timers.values()) {
      if (t.at <= until && (!best || t.at < best.at || (t.at === best.at && t.seq < best.seq))) best = t;
    }
    return best;
  }
}

/** A manual clock, frozen at the real time now, whose flow (if any) stops when the test ends. */
export function manualClock(): ManualClock {
  const clock = new ManualClock();
  onTestFinished(() => clock.freeze());
  return clock;
}
