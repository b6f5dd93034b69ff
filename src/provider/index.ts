/** The WaveSpeed client: the only code that talks to the remote API. */
export { createClient, type ClientOptions, type WaveSpeedClient } from './client.js';
export { describeUrl, type DownloadOptions, type DownloadResult } from './download.js';
export type { CallOptions, ListQuery, PredictionPage, PriceQuote } from './endpoints.js';
export { failedPredictionError, HINTS } from './map-error.js';
export { usdToCentsExact } from '../money.js';
export { DEFAULT_POLL_POLICY, pollDelayMs, type PollPolicy, type WaitOptions } from './poll.js';
export { createRedactor, redactText } from '../util/redact.js';
export { backoffDelayMs, DEFAULT_RETRY_POLICY, isRetryable, parseRetryAfter, type RetryPolicy } from './retry.js';
export type { UploadOptions, UploadResult } from './upload.js';
export { isTerminal, KNOWN_STATUSES, type KnownStatus, type Prediction, type PredictionStatus } from './wire.js';
