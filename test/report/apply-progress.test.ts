import { describe, expect, it } from 'vitest';
import type { ApplyEvent } from '../../src/apply/events.js';
import { createReporter } from '../../src/report/apply-reporter.js';
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

describe('the apply summary (docs/SPEC.md "Commands and exit codes")', () => {
  it('cuts a long list of unknown submits at 50, never silently: the rest is counted', () => {
    let out = '';
    const write = (t: string) => {
      out += t;
      return true;
    };
    const stream = { write, isTTY: false } as unknown as Parameters<typeof createReporter>[1]['stdout'];
    const reporter = createReporter('plain', { stdout: stream, stderr: { write: () => true } as never, redact: (t) => t });
    const unknown = Array.from({ length: 60 }, (_, i) => ({ id: `s${i}`, take: 1, costCents: 126 }));
    reporter.emit({
      type: 'summary',
      summary: {
        done: 0,
        fetched: 0,
        failed: [],
        skipped: [],
        unknown,
        kept: [],
        spentCents: 0,
        chargedCents: 0,
        refundedCents: 0,
        totalSpentCents: 7560,
        elapsedMs: 1000,
        interrupted: false,
      },
    });
    reporter.close();
    expect(out).toMatch(/^Done: 0 rendered, 0 failed, 60 unknown, 0 skipped in 1\.0 s; spent \$0\.00 this run, \$75\.60 in all$/m);
    expect(out.split('\n').filter((l) => l.startsWith('  unknown '))).toHaveLength(50);
    expect(out).toMatch(/^ {2}… and 10 more unknown \(`render status SPEC` lists them all\)$/m);
  });
});
