import { describe, expect, it } from 'vitest';
import { buildLedger, type BillEntry } from '../../src/plan/ledger.js';
import { DAY, lockShot, lockTake, lockWith, MODEL, NOW, REAL } from '../helpers/lock.js';

/**
 * The ledger's matching (docs/SPEC.md "Commands and exit codes", `render ledger`): the bill per prediction against
 * what the lockfile counts, and the charges no take owns, with the unknown submits each could be.
 */

const T = NOW - DAY; // the campaign ran a day ago
const iso = (ms: number) => new Date(ms).toISOString();
const charge = (id: string, atMs: number, cents = 210, model = MODEL): BillEntry => ({ type: 'charge', cents, atMs, predictionId: id, model });
const refund = (id: string, atMs: number, cents = 210): BillEntry => ({ type: 'refund', cents, atMs, predictionId: id, model: MODEL });
const unknownTake = (sentAt: number) =>
  lockTake({ prediction_id: undefined, status: 'unknown', submitted_at: iso(sentAt), given_up_at: iso(sentAt + 60_000), completed_at: undefined, outputs: [] });

function ledger(lock: ReturnType<typeof lockWith>, entries: BillEntry[], billFromMs = NOW - 7 * DAY) {
  return buildLedger({ lock, endpoint: REAL, entries, billFromMs, complete: true });
}

describe('the ledger', () => {
  it('a prediction charged twice is called out, the difference the second charge', () => {
    const lock = lockWith({ a: lockShot([lockTake({ prediction_id: 'p-a', submitted_at: iso(T) })]) });
    const l = ledger(lock, [charge('p-a', T), charge('p-a', T + 1000)]);
    expect(l.rows[0]).toMatchObject({ chargedCents: 420, countedCents: 210, differenceCents: 210, note: 'charged 2 times' });
    expect(l.totals.differenceCents).toBe(210);
  });

  it('a take whose charge is missing from the bill shows it, billed less than counted', () => {
    const lock = lockWith({ a: lockShot([lockTake({ prediction_id: 'p-a', submitted_at: iso(T) })]) });
    expect(ledger(lock, []).rows[0]).toMatchObject({ chargedCents: 0, differenceCents: -210, note: 'no charge found in the bill' });
  });

  it('a take older than the bill reaches is not compared (difference unknown, not -$2.10)', () => {
    const lock = lockWith({ a: lockShot([lockTake({ prediction_id: 'p-a', submitted_at: iso(NOW - 9 * DAY) })]) });
    expect(ledger(lock, []).rows[0]).toMatchObject({ differenceCents: null, note: 'older than the 7 days the bill shows' });
  });

  it("an unowned charge in an unknown submit's span fits it; one in two spans fits both; one outside the window is left out", () => {
    const lock = lockWith({
      a: lockShot([unknownTake(T)]),
      b: lockShot([unknownTake(T + 10_000)]),
      c: lockShot([lockTake({ prediction_id: 'p-c', submitted_at: iso(T + 30 * 60_000) })]),
    });
    const l = ledger(lock, [
      charge('x-both', T + 20_000),
      charge('x-late', T + 30 * 60_000 + 1000),
      charge('x-before', T - 3_600_000),
      charge('p-c', T + 30 * 60_000),
    ]);
    expect(l.unowned.map((u) => [u.predictionId, u.fits])).toEqual([
      [
        'x-both',
        [
          { shot: 'a', take: 1 },
          { shot: 'b', take: 1 },
        ],
      ],
      ['x-late', []],
    ]);
  });

  it('a charge of another model never fits an unknown submit', () => {
    const lock = lockWith({ a: lockShot([unknownTake(T)]) });
    const l = ledger(lock, [charge('x', T + 1000, 126, 'kwaivgi/kling-v3.0-4k/text-to-video')]);
    expect(l.unowned).toEqual([expect.objectContaining({ predictionId: 'x', fits: [] })]);
  });

  it('a refund without its charge, items without a prediction, and other endpoints are kept out of the sums and named', () => {
    const lock = lockWith({ a: lockShot([lockTake({ prediction_id: 'p-a', submitted_at: iso(T) })]) });
    lock.endpoints['http://127.0.0.1:8080'] = { shots: { a: lockShot([lockTake({ prediction_id: 'other' })]) }, uploads: {} };
    lock.endpoints.mock = { shots: { a: lockShot([lockTake({ prediction_id: 'play' })]) }, uploads: {} };
    const l = ledger(lock, [charge('p-a', T), refund('p-gone', T), { type: 'top_up', cents: 5000, atMs: T }]);
    expect(l.totals).toMatchObject({ chargedCents: 210, refundedCents: 0, differenceCents: 0 });
    expect(l.unowned).toEqual([]);
    expect(l.ignored).toBe(1);
    expect(l.elsewhere).toEqual([{ endpoint: 'http://127.0.0.1:8080', takes: 1 }]);
  });
});
