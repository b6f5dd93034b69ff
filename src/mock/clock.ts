import type { MockClock } from './types.js';

/** The real clock: Date.now, and timers that never keep the process alive on their own. */
export const REAL_CLOCK: MockClock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const timer = setTimeout(fn, ms);
    timer.unref();
    return timer;
  },
  clearTimeout: (timer) => clearTimeout(timer as NodeJS.Timeout),
};

/** Resolves `ms` from now on `clock` (an injected latency); at once when `ms` is 0. */
export function delay(clock: MockClock, ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => clock.setTimeout(resolve, ms)) : Promise.resolve();
}
