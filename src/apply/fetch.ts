import path from 'node:path';
import type pLimit from 'p-limit';
import { undownloadedTakes } from '../lock/takes.js';
import { downloadable } from '../plan/diff.js';
import type { Prediction } from '../provider/index.js';
import type { RunContext } from './context.js';
import { downloadTake, followTake } from './follow.js';
import { fail } from './report.js';

/** The key of a take in the set of takes a run has already dealt with. */
export function takeKey(shot: string, n: number): string {
  return `${shot}#${n}`;
}

/**
 * Keep every paid video (docs/ARCHITECTURE.md "Money rules", rule 5): a take with a prediction id that no shot is
 * on any more (an earlier lost submit found or adopted after the spec moved on, a shot edited or removed while it
 * was in flight) is followed to its end and downloaded into `.takes/`, for $0, before the server deletes it after
 * 7 days. Runs after the shots' own work, so it also keeps what this run's settlements found.
 */
export async function fetchPaidTakes(ctx: RunContext, dealtWith: ReadonlySet<string>, inFlight: ReturnType<typeof pLimit>): Promise<void> {
  const now = ctx.now();
  const paid = undownloadedTakes(ctx.store.lock, ctx.endpoint).filter(
    ({ shot, take }) => !dealtWith.has(takeKey(shot, take.n)) && (take.status !== 'completed' || downloadable(take, now)),
  );
  await Promise.all(
    paid.map(async ({ shot, take }) => {
      try {
        let prediction: Prediction | undefined;
        if (take.status !== 'completed') {
          prediction = await inFlight(() => followTake(ctx, shot, take.n, true));
          if (!prediction) return; // failed (refunded) or not followable: recorded, and said
        }
        const placed = await ctx.downloads(() => downloadTake(ctx, shot, take.n, false, prediction));
        if (placed) ctx.emit({ type: 'fetched', id: shot, take: take.n, path: path.resolve(ctx.specDir, placed) });
      } catch (err) {
        fail(ctx, shot, err, `could not keep take #${take.n}, paid and never downloaded (recorded; \`render apply\` again tries it)`);
      }
    }),
  );
}
