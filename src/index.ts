/**
 * The library API of render: the same calls the CLI makes (docs/ARCHITECTURE.md "Layers"), without the printing
 * or the exit codes. Read, check and plan a spec with no network; apply a plan with a WaveSpeed client, real or
 * pointed at the local mock server. Every failure is a RenderError with a `code` and, where it helps, a `hint`.
 */

// Spec: read (YAML with positions) and check.
export { loadSpec, type LoadedSpec } from './spec/load.js';
export type { Spec, SpecInput } from './spec/schema.js';

// Plan: validate, diff against the lockfile, price. Pure: no network, no writes.
export { planSpec, validateSpec, type PlannedSpec, type PlanSpecOptions, type ValidSpec } from './plan/plan-spec.js';
export type { Plan, PlannedShot, PlanTotals } from './plan/build.js';
export type { Action } from './plan/diff.js';
export type { ExpandedShot } from './plan/types.js';
export { planToJson, type SavedPlanJson } from './plan/saved-plan.js';

// Apply: the only call that spends.
export { applySpec, type ApplyOutcome, type ApplySpecOptions } from './apply/apply-spec.js';
export type { ApplyEvent, ApplySummary, Emit } from './apply/events.js';

// The WaveSpeed client and the local WaveSpeed-compatible server.
export { createClient, type ClientOptions, type PollPolicy, type Prediction, type WaveSpeedClient } from './provider/index.js';
export { startMockServer, type FaultOptions, type MockServer, type MockServerOptions, type MockStats } from './mock/index.js';

// Where a plan is for: the lockfile counts spend per endpoint.
export { DEFAULT_BASE_URL, MOCK_ENDPOINT, normalizeBaseUrl } from './endpoint.js';

// Errors.
export { RenderError, isRenderError, type ErrorCode, type Issue } from './errors.js';
