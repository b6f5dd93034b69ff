import { describe, expect, it } from 'vitest';
import type { ApplyEvent } from '../../src/apply/events.js';
import { ApplyProgress } from '../../src/report/apply-state.js';

describe('the progress display (docs/SPEC.md "On a terminal")', () => {
  it('counts a submit whose outcome is unknown as unknown, not failed, and as ended in this run', () => {
    const progress = new ApplyProgress();
    const events: ApplyEvent[] = [
      { type: 'start', shots: 3, toSubmit: 3, toResume: 0, toRestore: 0, toFetch: 0, costCents: 378, concurrency: 4, endpoint: 'mock' },
      { type: 'unknown', id: 'a', take: 1, costCents: 126, message: 'submit m: outcome unknown (fetch failed)' },
      { type: 'submitted', id: 'b', predictionId: 'p', costCents: 126 },
      { type: 'failed', id: 'a', code: 'UNKNOWN_OUTCOME', message: 'submit outcome unknown (take #1)' },
      { type: 'failed', id: 'b', code: 'TASK_FAILED', message: 'prediction p failed', refundedCents: 126 },
      { type: 'done', id: 'c' },
    ];
    for (const e of events) progress.update(e);
    expect(progress.count('unknown')).toBe(1);
    expect(progress.count('failed')).toBe(1);
    expect(progress.count('done')).toBe(1);
    expect(progress.settled).toBe(3);
    // The unknown one is counted as spent (the charge may be real); the failed one was refunded.
    expect(progress.spentCents).toBe(126);
  });
});
