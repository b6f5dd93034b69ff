/** The WaveSpeed-compatible local server: `startMockServer`, and the `render mock` flag table. */
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
  type MockServer,
  type MockServerOptions,
  type MockStats,
} from './types.js';
