import type { ApplyEvent } from '../../src/apply/events.js';
import { runApply } from '../../src/apply/run.js';
import { LockStore } from '../../src/lock/store.js';
import { planSpec } from '../../src/plan/plan-spec.js';
import { SPEC_HEAD, type Workspace } from '../helpers/workspace.js';
import type { FakeServer } from './fakes.js';

/** The endpoint the fake server stands for. */
export const FAKE_ENDPOINT = 'http://fake.test';

/** A spec of `n` shots of 5 s ($2.10 each), distinct prompts, one image. */
export function specOf(ws: Workspace, n: number, budgetUsd = 100): string {
  const shots = Array.from({ length: n }, (_, i) => `  - { id: s${i}, image: img/ok.png, prompt: "shot number ${i}" }`).join('\n');
  return ws.spec(`${SPEC_HEAD.replace('max_usd: 100', `max_usd: ${budgetUsd}`)}concurrency: 3\nshots:\n${shots}\n`);
}

/** Plan the spec on the fake server's endpoint and apply it there (no waits, no settle delay unless asked). */
export async function applyOnFake(spec: string, fake: FakeServer, extra: Partial<Parameters<typeof runApply>[0]> = {}) {
  const { plan } = planSpec(spec, { endpoint: FAKE_ENDPOINT });
  const store = new LockStore(spec, plan.name);
  const events: ApplyEvent[] = [];
  try {
    const summary = await runApply({
      plan,
      store,
      client: fake.client,
      emit: (e) => events.push(e),
      concurrency: 3,
      settleAfterMs: 0,
      sleep: async () => undefined,
      ...extra,
    });
    return { summary, events, store, lock: store.lock };
  } finally {
    await store.close();
  }
}
