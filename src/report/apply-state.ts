import type { ApplyEvent } from '../apply/events.js';

export type ShotPhase = 'waiting' | 'queued' | 'processing' | 'downloading' | 'done' | 'failed' | 'unknown' | 'skipped';

/** Counts of shots by phase, and money, folded from apply events: what progress displays show. */
export class ApplyProgress {
  total = 0;
  spentCents = 0;
  uploads = 0;
  readonly phase = new Map<string, ShotPhase>();

  update(e: ApplyEvent): void {
    switch (e.type) {
      case 'start':
        this.total = e.toSubmit + e.toResume + e.toRestore;
        return;
      case 'upload':
        this.uploads++;
        return;
      case 'submitted':
        this.spentCents += e.costCents;
        this.phase.set(e.id, 'queued');
        return;
      case 'unknown':
        // Counted as spent until settled: the charge may be real.
        this.spentCents += e.costCents;
        return;
      case 'status':
        this.phase.set(e.id, e.status === 'completed' ? 'downloading' : e.status === 'processing' ? 'processing' : 'queued');
        return;
      case 'downloaded':
        return;
      case 'done':
        this.phase.set(e.id, 'done');
        return;
      case 'failed':
        this.spentCents -= e.refundedCents ?? 0;
        // A submit given up without an answer has not failed: it may be rendering (docs/ARCHITECTURE.md "Rule 2").
        this.phase.set(e.id, e.code === 'UNKNOWN_OUTCOME' ? 'unknown' : 'failed');
        return;
      case 'skipped':
        this.phase.set(e.id, 'skipped');
        return;
      default:
        return;
    }
  }

  count(p: ShotPhase): number {
    let n = 0;
    for (const v of this.phase.values()) if (v === p) n++;
    return n;
  }

  /** Shots that reached an end in this run: rendered, failed or left unknown. Skipped shots (not started) are counted apart. */
  get settled(): number {
    return this.count('done') + this.count('failed') + this.count('unknown');
  }
}
