import { RenderError } from '../errors.js';
import { usd } from '../money.js';

/**
 * The runtime guard (docs/ARCHITECTURE.md "Money rules", rule 4): money already spent, plus money in flight, plus
 * the submit about to happen, never passes the cap, however many submits race. A reservation is taken before the
 * intent is written and kept once the server accepts (the charge is real); it is released only when the server
 * refused the submit or a lost submit is proven never to have been created.
 */
export class BudgetGuard {
  private reserved = 0;
  private limit: number;

  /**
   * @param limitCents what this run may add: min(budget − spent before, --max-cost)
   */
  constructor(limitCents: number) {
    this.limit = limitCents;
  }

  get limitCents(): number {
    return this.limit;
  }

  /** Reserve `cents` or throw OVER_BUDGET; synchronous, so concurrent callers cannot both pass. */
  reserve(cents: number, shot: string): void {
    if (this.reserved + cents > this.limit) {
      throw new RenderError(
        'OVER_BUDGET',
        `not submitting ${shot}: ${usd(cents)} more would pass the cap (${usd(this.reserved)} of ${usd(this.limit)} this run already committed)`,
        {
          hint: 'raise budget.max_usd or --max-cost; what was rendered is kept',
        },
      );
    }
    this.reserved += cents;
  }

  /**
   * Money counted as spent before the run that turns out to be in flight in it (a lost submit of an earlier
   * run, settled now): move it from "spent before" to this run's reservations.
   */
  adopt(cents: number): void {
    this.limit += cents;
    this.reserved += cents;
  }

  release(cents: number): void {
    this.reserved = Math.max(0, this.reserved - cents);
  }

  get committedCents(): number {
    return this.reserved;
  }
}
