import { setTimeout as delay } from 'node:timers/promises';

/** A wait that rejects (with an AbortError) as soon as `signal` aborts. Injected wherever tests need instant waits. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export const sleep: Sleep = (ms, signal) => delay(ms, undefined, { signal });
