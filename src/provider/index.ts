/** The WaveSpeed client: the only code that talks to the remote API. */
export type { BillingItem } from './billings.js';
export { createClient, type ClientOptions, type WaveSpeedClient } from './client.js';
export { failedPredictionError } from './map-error.js';
export { usdToCentsExact } from '../money.js';
export { DEFAULT_POLL_POLICY, pollDelayMs, type PollPolicy, type PollSchedule } from './poll.js';
export { backoffDelayMs, DEFAULT_RETRY_POLICY, parseRetryAfter } from './retry.js';
export { isTerminal, type Prediction } from './wire.js';
