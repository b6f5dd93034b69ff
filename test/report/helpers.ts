import { writeFileSync } from 'node:fs';
import { serializeLockfile } from '../../src/lock/file.js';
import { emptyEndpointState, emptyLockfile, type LockTake } from '../../src/lock/schema.js';
import { planSpec } from '../../src/plan/plan-spec.js';
import { makeWorkspace, type Workspace } from '../helpers/workspace.js';

const MODEL = 'kwaivgi/kling-v3.0-4k/image-to-video';

/**
 * A campaign with one shot in each state the review shows, its lockfile written by hand (version 2) against the
 * spec's real fingerprints, and output files of the recorded sizes, on the mock endpoint:
 *   a-done      rendered; an earlier take with another prompt kept in .takes/; a prompt full of markup
 *   b-failed    failed with 5000 (retried by the next apply)
 *   c-blocked   failed with 1200 (blocked until the shot changes)
 *   d-pending   never rendered
 *   e-outdated  rendered, then its duration changed in the spec
 *   f-multi     a multi-prompt with an element, rendered
 */
const REVIEW_SPEC = `version: 1
name: rev
budget: { max_usd: 20 }
elements:
  mascot: { id: "318406227590142", description: "Pip" }
shots:
  - id: a-done
    image: img/ok.png
    prompt: "A <b>bold</b> & \\"quoted\\" {{element 'mascot'}} walks in </script><script>window.__pwned = 1</script> 'here'"
  - id: b-failed
    image: img/ok.png
    prompt: "b prompt"
  - id: c-blocked
    image: img/ok.png
    prompt: "c prompt"
  - id: d-pending
    image: img/ok.png
    prompt: "d prompt"
  - id: e-outdated
    image: img/ok.png
    duration: 6
    prompt: "e prompt"
  - id: f-multi
    image: img/ok.png
    elements: [mascot]
    multi_prompt:
      - { prompt: "{{element 'mascot'}} runs", duration: 2 }
      - { prompt: "close-up", duration: 3 }
`;

const AT = '2026-05-01T12:00:00.000Z';

export function reviewWorkspace(): { ws: Workspace; spec: string } {
  const ws = makeWorkspace();
  const spec = ws.spec(REVIEW_SPEC);
  const { plan } = planSpec(spec, { endpoint: 'mock' });
  const shot = (id: string) => plan.shots.find((s) => s.id === id)!;
  const take = (id: string, n: number, fields: Partial<LockTake> = {}): LockTake => {
    const s = shot(id);
    return {
      n,
      fingerprint: s.fingerprint,
      model: MODEL,
      take: 1,
      prediction_id: `pred-${id}-${n}`,
      status: 'completed',
      duration: s.duration,
      cost_cents: s.duration * 42,
      request: s.contentRequest as unknown as Record<string, unknown>,
      submitted_at: AT,
      completed_at: AT,
      outputs: [],
      ...fields,
    };
  };
  const output = (rel: string, bytes: number, sha: string) => {
    ws.write(rel, Buffer.alloc(bytes, 1));
    return [{ url: `http://127.0.0.1:1/files/outputs/${sha}.mp4`, path: rel, sha256: sha.repeat(64).slice(0, 64), bytes }];
  };
  const lock = emptyLockfile('rev', 'spec.yaml', 'lineage-test-1');
  const state = emptyEndpointState();
  const earlierRequest = { ...(shot('a-done').contentRequest as unknown as Record<string, unknown>), prompt: 'An earlier prompt: the mascot walks out' };
  state.shots['a-done'] = {
    current: 2,
    takes: [
      take('a-done', 1, { fingerprint: 'old', request: earlierRequest, outputs: output('renders/rev/.mock/.takes/a-done.take-1-pred-a-done-1.mp4', 10, 'a') }),
      take('a-done', 2, { outputs: output('renders/rev/.mock/a-done.mp4', 12, 'b') }),
    ],
  };
  state.shots['b-failed'] = {
    current: 1,
    takes: [take('b-failed', 1, { status: 'failed', error: { code: 'TASK_FAILED', task_code: 5000, message: '5000: internal server error' } })],
  };
  state.shots['c-blocked'] = {
    current: 1,
    takes: [take('c-blocked', 1, { status: 'failed', error: { code: 'MODERATION', task_code: 1200, message: '1200: content <moderation> & flagged' } })],
  };
  const eRequest = { ...(shot('e-outdated').contentRequest as unknown as Record<string, unknown>), duration: 5 };
  state.shots['e-outdated'] = {
    current: 1,
    takes: [
      take('e-outdated', 1, {
        fingerprint: 'before',
        duration: 5,
        cost_cents: 210,
        request: eRequest,
        outputs: output('renders/rev/.mock/e-outdated.mp4', 14, 'c'),
      }),
    ],
  };
  state.shots['f-multi'] = { current: 1, takes: [take('f-multi', 1, { outputs: output('renders/rev/.mock/f-multi.mp4', 16, 'd') })] };
  lock.endpoints.mock = state;
  writeFileSync(ws.path('rev.lock.json'), serializeLockfile(lock));
  return { ws, spec };
}
