import { statSync } from 'node:fs';
import path from 'node:path';
import type { LoadedState } from '../lock/backend.js';
import type { LockShot, LockTake } from '../lock/schema.js';
import { currentTake, isOpen, spentByEndpoint } from '../lock/takes.js';
import { sha256FileSync } from '../util/canonical-json.js';
import type { Action } from './diff.js';
import { planSpec } from './plan-spec.js';

/** The current take's output file: intact (size, or sha256 with --verify), missing, changed, or there is none. */
type OutputState = 'intact' | 'missing' | 'changed' | 'none';

export interface ShotStatus {
  id: string;
  inSpec: boolean;
  /** What `plan` would do now (undefined for a shot no longer in the spec). */
  action?: Action;
  reason?: string;
  duration?: number;
  entry?: LockShot;
  current?: LockTake;
  /** Open intents: submits whose outcome is unknown, counted as spent until adopted or forgotten. */
  open: LockTake[];
  output: OutputState;
  outputPath?: string;
  /** The prompt as sent (multi-prompt parts joined), for `--wide`. */
  prompt?: string;
}

export interface StatusReport {
  specFile: string;
  name: string;
  endpoint: string;
  shots: ShotStatus[];
  /** Cents spent by endpoint (failed takes are refunded and not counted). */
  spentByEndpoint: Record<string, number>;
  /** Whether sha256s were checked (`--verify`), not only sizes. */
  verified: boolean;
}

export interface StatusOptions {
  endpoint: string;
  verify?: boolean;
  /** The state as a state database has it (default: the lockfile and journal). */
  state?: LoadedState;
}

/**
 * What the lockfile (with any interrupted run's journal), the output folder and the plan say about each shot on
 * an endpoint: no network. Lockfile entries of shots no longer in the spec are listed too: their spend counts.
 */
export function shotStatus(specFile: string, options: StatusOptions): StatusReport {
  const { plan, lock, loaded } = planSpec(specFile, { endpoint: options.endpoint, state: options.state });
  const state = lock.endpoints[options.endpoint];
  const planned = new Map(plan.shots.map((s) => [s.id, s]));
  const all = [
    ...plan.shots.map((s) => s.id),
    ...Object.keys(state?.shots ?? {})
      .filter((id) => !planned.has(id))
      .sort(),
  ];
  return {
    specFile: loaded.file,
    name: plan.name,
    endpoint: options.endpoint,
    spentByEndpoint: spentByEndpoint(lock),
    verified: options.verify ?? false,
    shots: all.map((id) => {
      const p = planned.get(id);
      const entry = state?.shots[id];
      const current = currentTake(entry);
      const request = p?.request ?? current?.request;
      return {
        id,
        inSpec: p !== undefined,
        action: p?.action,
        reason: p?.reason,
        duration: p?.duration ?? current?.duration,
        entry,
        current,
        open: entry?.takes.filter(isOpen) ?? [],
        output: current ? outputState(current, loaded.dir, options.verify ?? false) : 'none',
        outputPath: current?.outputs[0]?.path,
        prompt: request ? promptText(request as Record<string, unknown>) : undefined,
      };
    }),
  };
}

function promptText(request: Record<string, unknown>): string | undefined {
  if (typeof request.prompt === 'string') return request.prompt;
  if (!Array.isArray(request.multi_prompt)) return undefined;
  return request.multi_prompt.map((p: { prompt?: unknown; duration?: unknown }, i) => `[${i + 1}: ${String(p.duration)}s] ${String(p.prompt)}`).join(' ');
}

function outputState(take: LockTake, dir: string, verify: boolean): OutputState {
  if (take.outputs.length === 0) return 'none';
  for (const out of take.outputs) {
    const abs = path.resolve(dir, out.path);
    let size: number;
    try {
      size = statSync(abs).size;
    } catch {
      return 'missing';
    }
    if (size !== out.bytes) return 'changed';
    if (verify && sha256FileSync(abs) !== out.sha256) return 'changed';
  }
  return 'intact';
}
