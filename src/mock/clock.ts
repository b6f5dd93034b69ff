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

/**
 * The server's clock when it runs `skewMs` ahead (or behind, when negative) of `base`: every time the server shows
 * or compares (`created_at`, the `Date` header, list filters, the 7-day window, billing times) reads it. Timers are
 * relative, so they stay on `base`.
 */
export function skewedClock(base: MockClock, skewMs: number): MockClock {
  if (skewMs === 0) return base;
  return {
    now: () => base.now() + skewMs,
    setTimeout: (fn, ms) => base.setTimeout(fn, ms),
    clearTimeout: (timer) => base.clearTimeout(timer),
  };
}

/** An HTTP `Date` header value (IMF-fixdate) for `ms`. */
export function httpDate(ms: number): string {
  return new Date(ms).toUTCString();
}
