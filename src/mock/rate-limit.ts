/**
 * The account tier's submits-per-minute limit (docs/ARCHITECTURE.md "API facts we rely on": Bronze 2/min ...), as a
 * sliding window: at most `perMinute` accepted submits in any 60 s. How the real API counts is not documented; a
 * sliding window is the strict choice, since a token bucket of the same rate lets up to twice as many through in
 * one minute (a full bucket, then its refill). Only accepted submits count: one answered 429, or refused for its
 * body or the balance, takes no place in the window.
 */
const WINDOW_MS = 60_000;

export class SubmitLimiter {
  /** Times of the accepted submits still inside the window, oldest first. */
  private readonly times: number[] = [];
  private head = 0;

  constructor(private readonly perMinute: number) {}

  /** null when a submit now would be accepted, else whole seconds until one would be (at least 1). */
  retryAfterSeconds(nowMs: number): number | null {
    if (this.perMinute === Infinity) return null;
    while (this.head < this.times.length && (this.times[this.head] ?? 0) + WINDOW_MS <= nowMs) this.head++;
    if (this.head > 1024 && this.head * 2 > this.times.length) {
      this.times.splice(0, this.head);
      this.head = 0;
    }
    if (this.times.length - this.head < this.perMinute) return null;
    const oldest = this.times[this.head] ?? nowMs;
    return Math.max(1, Math.ceil((oldest + WINDOW_MS - nowMs) / 1000));
  }

  /** Counts an accepted submit. */
  accept(nowMs: number): void {
    if (this.perMinute !== Infinity) this.times.push(nowMs);
  }
}
