import { describe, expect, it } from 'vitest';
import { SubmitPacer } from '../../src/apply/submit-pacer.js';

/**
 * Submits paced to the account (docs/ARCHITECTURE.md "Pacing submits"): a 429 slows every shot's submits, the
 * limit is learned from the refusals, and nothing is held while no refusal came.
 */

/** A clock that moves only by the pacer's own sleeps (which resolve at once, recorded). */
function fakeTime() {
  const t = { now: 0, sleeps: [] as number[] };
  return {
    t,
    now: () => t.now,
    sleep: async (ms: number, signal?: AbortSignal) => {
      if (signal?.aborted) throw signal.reason;
      t.sleeps.push(ms);
      t.now += ms;
    },
  };
}

describe('submits are paced to the account, shared by every shot', () => {
  it('nothing waits while the server refuses nothing', async () => {
    const time = fakeTime();
    const pacer = new SubmitPacer(time);
    for (let i = 0; i < 100; i++) (await pacer.acquire()).end('sent');
    expect(time.t.sleeps).toEqual([]);
    expect(pacer.learnedLimit).toBe(Infinity);
  });

  it("a 429 holds every shot's next submit until its Retry-After, not only the refused one", async () => {
    const time = fakeTime();
    const pacer = new SubmitPacer(time);
    (await pacer.acquire()).end('sent');
    (await pacer.acquire()).end('rate-limited', 5_000);
    const started = time.now();
    await pacer.acquire();
    expect(time.now() - started).toBe(5_000);
  });

  it('the limit is learned from a refusal: 60 submits at 10 a minute go in 5 minutes, refused about once a minute', async () => {
    const time = fakeTime();
    const pacer = new SubmitPacer(time);
    // The account: a sliding 60 s window of 10 accepted submits; over it, 429 with whole seconds until a place frees.
    const accepted: number[] = [];
    const submit = (now: number): number | undefined => {
      const inWindow = accepted.filter((t) => t + 60_000 > now);
      if (inWindow.length < 10) return void accepted.push(now);
      return Math.max(1, Math.ceil((inWindow[0]! + 60_000 - now) / 1000)) * 1000;
    };
    while (accepted.length < 60) {
      const turn = await pacer.acquire();
      const retryAfter = submit(time.now());
      turn.end(retryAfter === undefined ? 'sent' : 'rate-limited', retryAfter);
    }
    expect(pacer.learnedLimit).toBe(10);
    // What the limit allows: the 60th submit at 5 × 60 s.
    expect(accepted[59]).toBe(300_000);
    // The first refusal teaches the limit; after it, at most one probe a window.
    expect(pacer.refusals).toBeLessThanOrEqual(6);
  });

  it('without Retry-After, the wait doubles per refusal in a row from 1 s, and an accepted submit resets it', async () => {
    const time = fakeTime();
    const pacer = new SubmitPacer(time);
    const waits: number[] = [];
    for (const how of ['rate-limited', 'rate-limited', 'rate-limited', 'sent', 'rate-limited'] as const) {
      const before = time.now();
      (await pacer.acquire()).end(how);
      waits.push(time.now() - before);
    }
    expect(waits).toEqual([0, 1000, 2000, 4000, 0]);
    const before = time.now();
    await pacer.acquire();
    expect(time.now() - before).toBe(1000);
  });

  it('a whole window without a refusal lets one more through (the tier may be higher)', async () => {
    const time = fakeTime();
    const pacer = new SubmitPacer(time);
    for (let i = 0; i < 4; i++) (await pacer.acquire()).end('sent');
    (await pacer.acquire()).end('rate-limited', 60_000);
    expect(pacer.learnedLimit).toBe(4);
    for (let i = 0; i < 12; i++) (await pacer.acquire()).end('sent');
    expect(pacer.learnedLimit).toBeGreaterThan(4);
  });

  it('a turn not used (an upload failed, another refusal) does not count against the limit', async () => {
    const time = fakeTime();
    const pacer = new SubmitPacer(time);
    (await pacer.acquire()).end('sent');
    (await pacer.acquire()).end('rate-limited', 60_000);
    expect(pacer.learnedLimit).toBe(1);
    time.t.now += 60_000;
    (await pacer.acquire()).end('unused');
    const before = time.now();
    (await pacer.acquire()).end('sent');
    expect(time.now()).toBe(before);
  });

  it('a refusal whose Retry-After does not fit our own submits teaches no limit (another client, injected 429s)', async () => {
    const time = fakeTime();
    const pacer = new SubmitPacer(time);
    for (let i = 0; i < 3; i++) (await pacer.acquire()).end('sent');
    (await pacer.acquire()).end('rate-limited', 1_000);
    expect(pacer.learnedLimit).toBe(Infinity);
    const before = time.now();
    for (let i = 0; i < 10; i++) (await pacer.acquire()).end('sent');
    expect(time.now() - before).toBe(1_000);
  });

  it('a turn is ended once: a second end changes nothing', async () => {
    const time = fakeTime();
    const pacer = new SubmitPacer(time);
    const turn = await pacer.acquire();
    turn.end('sent');
    turn.end('rate-limited', 9_000);
    expect(pacer.refusals).toBe(0);
  });

  it('halt gives every waiting turn at once (the caller then skips), and a hard stop rejects', async () => {
    const pending: (() => void)[] = [];
    const pacer = new SubmitPacer({
      now: () => 0,
      sleep: (_ms, signal) =>
        new Promise<void>((resolve, reject) => {
          pending.push(resolve);
          signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
        }),
    });
    (await pacer.acquire()).end('rate-limited', 60_000);
    const waiting = pacer.acquire();
    pacer.halt();
    await expect(waiting).resolves.toBeDefined();

    const hard = new AbortController();
    const other = new SubmitPacer({
      now: () => 0,
      sleep: (_ms, signal) => new Promise((_, reject) => signal?.addEventListener('abort', () => reject(new Error('aborted')))),
    });
    (await other.acquire()).end('rate-limited', 60_000);
    const cut = other.acquire(hard.signal);
    hard.abort();
    await expect(cut).rejects.toThrow();
  });
});
