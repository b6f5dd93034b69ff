import { RenderError } from '../errors.js';
import { acquireProcessLock } from '../lock/process-lock.js';
import type { LockTake } from '../lock/schema.js';
import { openStateBackend } from '../lock/open-backend.js';
import { stateLocationOf } from '../lock/state-url.js';
import { LockStore, stateDir } from '../lock/store.js';
import { isOpen, shotState } from '../lock/takes.js';
import { describeEndpoint } from '../endpoint.js';
import { usd } from '../money.js';
import type { WaveSpeedClient } from '../provider/index.js';
import { checkSpec } from '../spec/check.js';
import { loadSpec } from '../spec/load.js';
import { sameInput } from './settle.js';

/**
 * The user's two ways to resolve a submit whose outcome is unknown (docs/ARCHITECTURE.md "Money rules", rule 2):
 * `render adopt` names the prediction it became; `render forget` declares it never created. Both write through the
 * journal like every other change, under the process lock, and work for a shot no longer in the spec too.
 */

export interface ResolveOptions {
  spec: string;
  shot: string;
  endpoint: string;
  /** Which open take, when a shot has several (default: the newest). */
  take?: number;
  /** Where the state URL is looked up (docs/ARCHITECTURE.md "Team state"); default none. */
  env?: Record<string, string | undefined>;
}

export interface Resolved {
  shot: string;
  take: LockTake;
  message: string;
}

/** Open the campaign's state under the process lock (the spec need only be well-formed: no images are read). */
async function withStore<T>(o: ResolveOptions, command: string, fn: (store: LockStore) => Promise<T>, redact?: (t: string) => string): Promise<T> {
  const loaded = loadSpec(o.spec);
  const spec = checkSpec(loaded);
  const location = stateLocationOf(spec, o.env ?? {});
  const backend = location ? await openStateBackend(location, loaded.file, spec.name, command) : undefined;
  let store: LockStore | undefined;
  try {
    const { release } = acquireProcessLock(stateDir(loaded.file), spec.name);
    try {
      store = new LockStore(loaded.file, spec.name, { redact, backend });
      const opened = store;
      try {
        return await fn(opened);
      } finally {
        await opened.close();
      }
    } finally {
      release();
    }
  } finally {
    if (backend && !store) await backend.close(false);
  }
}

function openTake(store: LockStore, o: ResolveOptions): LockTake {
  const entry = shotState(store.lock, o.endpoint, o.shot);
  const open = entry?.takes.filter(isOpen) ?? [];
  const take = o.take === undefined ? open.at(-1) : open.find((t) => t.n === o.take);
  if (take) return take;
  const where = describeEndpoint(o.endpoint);
  if (!entry)
    throw new RenderError('USAGE', `the lockfile has no shot "${o.shot}" on ${where}`, { hint: 'see `render status SPEC` for the shots and their states' });
  const takes = open.map((t) => `#${t.n}`).join(', ');
  throw new RenderError(
    'USAGE',
    o.take === undefined
      ? `no submit of ${o.shot} on ${where} has an unknown outcome: there is nothing to resolve`
      : `take #${o.take} of ${o.shot} is not a submit with an unknown outcome${takes ? ` (those are: ${takes})` : ''}`,
    {
      hint: `see \`render takes SPEC ${o.shot}\` for its takes`,
    },
  );
}

/** `render adopt SPEC SHOT PREDICTION_ID`: this prediction is what the lost submit became. */
export async function adoptPrediction(o: ResolveOptions & { predictionId: string; client: WaveSpeedClient }): Promise<Resolved> {
  return withStore(
    o,
    'render adopt',
    async (store) => {
      const take = openTake(store, o);
      for (const [id, entry] of Object.entries(store.lock.endpoints[o.endpoint]?.shots ?? {})) {
        const owner = entry.takes.find((t) => t.prediction_id === o.predictionId);
        if (owner)
          throw new RenderError('USAGE', `prediction ${o.predictionId} already belongs to ${id} (take #${owner.n}): one prediction is never two takes`, {
            hint: 'check the id in the WaveSpeed dashboard',
          });
      }
      const p = await o.client.getResult(o.predictionId).catch((err: unknown) => {
        if (err instanceof RenderError && err.code === 'NOT_FOUND') {
          throw new RenderError('USAGE', `the server has no prediction ${o.predictionId}`, {
            hint: 'check the id (predictions are kept 7 days); if the submit never became one, `render forget` it',
            cause: err,
          });
        }
        throw err;
      });
      if (p.model !== undefined && p.model !== take.model) {
        throw new RenderError('USAGE', `prediction ${o.predictionId} is of ${p.model}, but take #${take.n} of ${o.shot} was submitted to ${take.model}`, {
          hint: 'check the id',
        });
      }
      const body = { ...take.request, ...(take.urls ?? {}) };
      if (p.input !== undefined && !sameInput(p.input, body)) {
        throw new RenderError(
          'USAGE',
          `prediction ${o.predictionId} was made from another input than take #${take.n} of ${o.shot} (the server shows its input, and it differs)`,
          { hint: "check the id: this prediction is not this shot's" },
        );
      }
      const at = new Date().toISOString();
      const ref = { at, endpoint: o.endpoint, shot: o.shot, n: take.n };
      await store.record({ t: 'submitted', ...ref, prediction_id: p.id, by: 'adopt' });
      const status = (['processing', 'completed', 'failed'] as const).find((s) => s === p.status);
      if (status) {
        const error = { code: 'TASK_FAILED', ...(p.taskCode === undefined ? {} : { task_code: p.taskCode }), message: p.error ?? 'failed' };
        await store.record({
          t: 'status',
          ...ref,
          status,
          ...(status === 'completed' ? { outputs: p.outputs } : {}),
          ...(status === 'failed' ? { error } : {}),
        });
      }
      const next =
        p.status === 'failed' ? 'it failed, so it was refunded: `render apply` renders the shot again' : '`render apply` follows it and downloads its video';
      return { shot: o.shot, take, message: `adopted ${p.id} as take #${take.n} of ${o.shot} (${p.status}); ${next}` };
    },
    o.client.redact,
  );
}

/** `render forget SPEC SHOT`: the lost submit never became a prediction; its cost no longer counts as spent. */
export async function forgetIntent(o: ResolveOptions): Promise<Resolved> {
  return withStore(o, 'render forget', async (store) => {
    const take = openTake(store, o);
    await store.record({ t: 'forgotten', at: new Date().toISOString(), endpoint: o.endpoint, shot: o.shot, n: take.n });
    return {
      shot: o.shot,
      take,
      message: `forgot take #${take.n} of ${o.shot}: ${usd(take.cost_cents)} no longer counted as spent; if the dashboard later shows it did exist, \`render ledger\` lists it as a charge no shot owns`,
    };
  });
}
