/**
 * The WaveSpeed-compatible local server (`startMockServer`) and the `render mock` flag table.
 *
 * Routes (all /api/v3 ones need `Authorization: Bearer <apiKey>`; envelopes `{code, message, data}`):
 *   POST /api/v3/{model_id}                  submit → prediction (`created`); charged at once; 429 over submitsPerMinute
 *   GET  /api/v3/predictions/{id}/result     poll
 *   POST /api/v3/predictions                 list {page, page_size, model?, status?, created_after?, created_before?};
 *                                            items show no `input` unless `listInputs`; lagged by `listLagMs`
 *   POST /api/v3/media/upload/binary         multipart `file` → {type, download_url, filename, size}
 *   POST /api/v3/media/uploads               {filename, size, content_type?} → {upload: {method, url, headers}, download_url}
 *   GET  /api/v3/balance                     → {balance} USD
 *   POST /api/v3/model/price                 {model_id, inputs} → {price, discounted_price} USD
 *   POST /api/v3/billings/search             {page, page_size, billing_type?, start_time?, end_time?, model_uuid?}
 *                                            → {page, has_more, items[]}: a charge per submit, a refund per refunded task
 * File host, no key: PUT /upload/{token} (presigned), GET|HEAD /files/media/{id}/{name}, GET|HEAD /files/outputs/{id}.mp4.
 * Every response carries a `Date` from the server's clock (`clock` + `clockSkewMs`).
 * Test hooks, no key, never faulted: GET /__mock/stats (MockStats), GET|POST /__mock/faults (FaultOptions), GET /__mock/dashboard (every prediction with its input, as the dashboard shows it).
 */
export { startMockServer, resolveMockOptions, DEFAULT_OUTPUT_FILE, MOCK_DEFAULTS } from './server.js';
export { MOCK_FLAGS, mockOptionsFromFlags, type MockFlag, type MockFlagName } from './flags.js';
export { normalizeFaults } from './faults.js';
export { TASK_ERROR_MESSAGES } from './predictions.js';
export { createRng } from './prng.js';
export {
  FAULT_ROUTES,
  type FaultKind,
  type FaultOptions,
  type FaultRoute,
  type MockClock,
  type MockServer,
  type MockServerOptions,
  type MockStats,
  type MockTimer,
  type RenderTime,
} from './types.js';
