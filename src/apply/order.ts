import type { PlannedShot } from '../plan/build.js';
import { type RenderModel, shotKind } from './render-model.js';

/**
 * The order in which apply takes up its shots (docs/ARCHITECTURE.md "Polling", "Order"): resumes first (paid
 * already, they free a slot soonest), then the longest expected renders first, the spec's order among equals. With
 * more shots than slots, the short renders left for the end fill the slots as they free unevenly, and the run ends
 * near its renders' total over the slots (longest processing time first); in the spec's order one long render may
 * start last and run alone at the end. Expected: the model's estimate (`RenderModel`; every shot of a plan is on one
 * model), else (nothing of the model known yet) the duration. Pure.
 */
export function submitOrder(shots: readonly PlannedShot[], model: string, times: RenderModel): PlannedShot[] {
  const expected = (s: PlannedShot): number =>
    times.estimate({ model, kind: shotKind(s.contentRequest as unknown as Record<string, unknown>), duration: s.duration })?.midMs ?? s.duration;
  const rest = shots
    .filter((s) => s.action !== 'resume')
    .map((s, i) => ({ s, i, ms: expected(s) }))
    .sort((a, b) => b.ms - a.ms || a.i - b.i);
  return [...shots.filter((s) => s.action === 'resume'), ...rest.map((r) => r.s)];
}
