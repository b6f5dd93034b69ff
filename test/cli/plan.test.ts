import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Lockfile } from '../../src/lock/schema.js';
import { serializeLockfile } from '../../src/lock/file.js';
import { planSpec } from '../../src/plan/plan-spec.js';
import { render } from '../helpers/cli.js';
import { lockShot, lockTake, lockWith, REAL } from '../helpers/lock.js';
import { makeWorkspace, SPEC_HEAD, type Workspace } from '../helpers/workspace.js';

/**
 * `render plan` against the lockfile beside the spec (docs/SPEC.md "Commands and exit codes": plan actions, exit
 * codes 0/3/4): what a rerun after an apply shows. The lockfile is written here as apply would have, with the
 * output files on disk.
 */

const spec = (prompt: string) => `${SPEC_HEAD}shots:
  - { id: hero, image: img/ok.png, prompt: "the sneaker turns slowly on its pedestal", duration: 6 }
  - { id: macro, image: img/ok.png, prompt: "${prompt}", duration: 4 }
`;

/** Record every shot of the spec as rendered on the real API, outputs on disk: what a finished apply leaves. */
function rendered(ws: Workspace, file: string): Lockfile {
  const { plan } = planSpec(file, { endpoint: REAL });
  const lock = lockWith({});
  for (const s of plan.shots) {
    const out = path.relative(ws.dir, s.output);
    ws.write(out, Buffer.alloc(100 + s.duration));
    lock.endpoints[REAL]!.shots[s.id] = lockShot([
      lockTake({
        fingerprint: s.fingerprint,
        request: s.contentRequest as unknown as Record<string, unknown>,
        duration: s.duration,
        cost_cents: s.costCents,
        prediction_id: `pred-${s.id}`,
        completed_at: new Date().toISOString(),
        outputs: [{ url: `https://cdn.example.com/${s.id}.mp4`, path: out, sha256: 'a'.repeat(64), bytes: 100 + s.duration }],
      }),
    ]);
  }
  writeFileSync(ws.path('test.lock.json'), serializeLockfile(lock));
  return lock;
}

describe('render plan after an apply', () => {
  const ws = makeWorkspace();
  const file = ws.spec(spec('macro push-in along the coral stripe'));

  it('with changes pending: exit 0, or 4 with --detailed-exitcode', async () => {
    expect((await render(['plan', file])).code).toBe(0);
    expect((await render(['plan', file, '--detailed-exitcode'])).code).toBe(4);
  });

  it('nothing to do: every shot unchanged, nothing to pay, exit 0 even with --detailed-exitcode', async () => {
    rendered(ws, file);
    const { code, stdout } = await render(['plan', file, '--detailed-exitcode']);
    expect(code).toBe(0);
    expect(ws.strip(stdout)).toMatchInlineSnapshot(`
      "Plan for test (spec.yaml): kwaivgi/kling-v3.0-4k/image-to-video on https://api.wavespeed.ai

           SHOT   ACTION     DUR  COST  PROMPT / REASON
        =  hero   unchanged   6s     —  rendered, output intact
        =  macro  unchanged   4s     —  rendered, output intact

      2 shots: 2 unchanged; 0 s of new video at $0.42/s
        this apply            $0.00
        spent before          $4.20
        after apply           $4.20   of $100.00 budget ($95.80 left)
      "
    `);
  });

  it('a changed prompt replaces that shot only, saying why; its output file missing is fetched again for free', async () => {
    ws.spec(spec('macro push-in along the coral stripe, slower'));
    rmSync(ws.path('renders/test/hero.mp4'));
    const { code, stdout } = await render(['plan', file, '--detailed-exitcode']);
    expect(code).toBe(4);
    expect(ws.strip(stdout)).toMatchInlineSnapshot(`
      "Plan for test (spec.yaml): kwaivgi/kling-v3.0-4k/image-to-video on https://api.wavespeed.ai

           SHOT   ACTION   DUR   COST  PROMPT / REASON
        <  hero   restore   6s      —  output file missing or changed: download it again (no new charge)
        ~  macro  replace   4s  $1.68  prompt: macro push-in along the coral stripe{+, slower+}

      2 shots: 1 to restore, 1 to replace; 4 s of new video at $0.42/s
        this apply            $1.68
        spent before          $4.20
        after apply           $5.88   of $100.00 budget ($94.12 left)
      "
    `);
  });

  it('in plan --json, the same actions, reasons and money', async () => {
    const { stdout } = await render(['plan', file, '--json']);
    const json = JSON.parse(stdout);
    expect(json.shots.map((s: Record<string, unknown>) => [s.id, s.action, s.reason, s.cost_usd])).toEqual([
      ['hero', 'restore', 'output file missing or changed: download it again (no new charge)', 0],
      ['macro', 'replace', 'prompt changed', 1.68],
    ]);
    expect(json.totals).toMatchObject({ shots: 2, to_submit: 1, cost_usd: 1.68, spent_usd: 4.2, budget_usd: 100, after_apply_usd: 5.88 });
  });

  it('--mock plans against what was rendered on the mock server: here nothing', async () => {
    const { stdout } = await render(['plan', file, '--json', '--mock']);
    const json = JSON.parse(stdout);
    expect(json.shots.map((s: Record<string, unknown>) => s.reason)).toEqual([
      'rendered only on https://api.wavespeed.ai, never on the local mock server',
      'rendered only on https://api.wavespeed.ai, never on the local mock server',
    ]);
    expect(json.totals).toMatchObject({ to_submit: 2, spent_usd: 0 });
  });

  it('money spent before counts against the budget: exit 3 when the rest does not fit', async () => {
    ws.spec(spec('macro push-in along the coral stripe, slower').replace('max_usd: 100', 'max_usd: 5.87'));
    const { code, stdout } = await render(['plan', file]);
    expect(code).toBe(3);
    expect(stdout).toContain('after apply           $5.88   of $5.87 budget ($0.01 over)');
    expect(stdout).toContain('OVER BUDGET by $0.01: nothing will be submitted.');
  });
});

describe('--only', () => {
  it('plans only the shots whose id matches', async () => {
    const ws = makeWorkspace();
    const file = ws.spec(spec('macro'));
    const { code, stdout } = await render(['plan', file, '--json', '--only', 'mac*']);
    expect(code).toBe(0);
    expect(JSON.parse(stdout).shots.map((s: { id: string }) => s.id)).toEqual(['macro']);
  });
});
