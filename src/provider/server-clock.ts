/**
 * The server's clock, as its `Date` headers tell it (docs/ARCHITECTURE.md "API facts we rely on": the server's
 * clock need not agree with ours). Settling a lost submit compares the server's `created_at` with when we sent
 * the request, so the offset is measured on every answer rather than assumed to be zero.
 */
export class ServerClock {
  private readonly samples: number[] = [];

  /** One answer: the server's Date (whole seconds, so +500 ms is its middle) against the request's midpoint. */
  observe(dateHeader: string | null, sentAt: number, receivedAt: number): void {
    if (!dateHeader) return;
    const server = Date.parse(dateHeader);
    if (!Number.isFinite(server)) return;
    this.samples.push(server + 500 - (sentAt + receivedAt) / 2);
    if (this.samples.length > 9) this.samples.shift();
  }

  /** Server time minus ours, in ms (the median of the last answers), or undefined when no answer had a Date. */
  offsetMs(): number | undefined {
    if (this.samples.length === 0) return undefined;
    const sorted = [...this.samples].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)];
  }
}
