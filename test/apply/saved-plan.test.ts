import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { MockServer } from '../../src/mock/index.js';
import { apply, expectExit, expectVerifiedOutputs, makeProject, mockServer, render, type Project } from './helpers.js';

interface SavedPlanJson {
  endpoint: string;
  shots: { id: string; action: string; fingerprint: string; cost_cents: number; request: Record<string, unknown> }[];
  totals: { cost_cents: number; cost_usd: number };
}

async function savePlan(p: Project, server: MockServer): Promise<string> {
  const r = await render(['plan', p.spec, '--out', p.abs('p.json')], { cwd: p.dir, server });
  expectExit(r, 0);
  expect(r.stderr).toContain('plan saved to p.json; apply it with: render apply p.json');
  return p.abs('p.json');
}

function editPlan(file: string, edit: (plan: SavedPlanJson) => void): void {
  const plan = JSON.parse(readFileSync(file, 'utf8')) as SavedPlanJson;
  edit(plan);
  writeFileSync(file, JSON.stringify(plan, null, 2));
}

describe('saved plans', () => {
  it('render plan --out, then render apply PLAN applies exactly it', async () => {
    const server = await mockServer();
    const p = makeProject({ shots: 6 });
    const file = await savePlan(p, server);
    const r = await apply(p, server, [], file);
    expectExit(r, 0);
    expect(r.stdout).toContain('Done: 6 rendered, 0 failed, 0 skipped');
    expectVerifiedOutputs(p);
    expect(server.stats()).toMatchObject({ submissions: 6, duplicateSubmissions: 0 });

    // Applied, the plan is stale: every shot it creates is now unchanged.
    const again = await apply(p, server, [], file);
    expectExit(again, 2);
    expect(again.stderr).toContain('error: the saved plan p.json is stale: 6 differences');
    expect(again.stderr).toContain('p.json: shot-01: was "create", is now "unchanged" (the lockfile changed)');
    expect(server.stats().submissions).toBe(6);
  });

  it('a plan saved with --only applies only its shots', async () => {
    const server = await mockServer();
    const p = makeProject({ shots: 6 });
    expectExit(await render(['plan', p.spec, '--out', p.abs('p.json'), '--only', 'shot-0{1,2}'], { cwd: p.dir, server }), 0);
    const r = await apply(p, server, [], p.abs('p.json'));
    expectExit(r, 0);
    expectVerifiedOutputs(p, ['shot-01', 'shot-02']);
    expect(server.stats().submissions).toBe(2);
  });

  it('editing the spec after saving the plan: apply refuses (exit 2), naming the shot, and submits nothing', async () => {
    const server = await mockServer();
    const p = makeProject({ shots: 5 });
    const file = await savePlan(p, server);
    p.shots[1]!.prompt = 'take 2, but changed after the review';
    p.writeSpec();
    const r = await apply(p, server, [], file);
    expectExit(r, 2);
    expect(r.stderr).toBe(
      'error: the saved plan p.json is stale: 1 difference\n' +
        '  p.json: shot-02: its inputs changed\n' +
        'hint: review a fresh plan: render plan spec.yaml --out p.json\n',
    );
    expect(server.stats()).toMatchObject({ submissions: 0, uploads: 0 });
  });

  it.each<[string, (plan: SavedPlanJson) => void, string]>([
    [
      'a fingerprint',
      (plan) => {
        plan.shots[2]!.fingerprint = 'f'.repeat(64);
      },
      'p.json: shot-03: its inputs changed',
    ],
    [
      "a shot's cost",
      (plan) => {
        plan.shots[0]!.cost_cents = 1;
      },
      'p.json: shot-01: cost differs from the saved plan',
    ],
    [
      'the total cost',
      (plan) => {
        plan.totals.cost_cents = 100;
      },
      'the total cost differs from the saved plan',
    ],
    [
      'an action',
      (plan) => {
        plan.shots[1]!.action = 'unchanged';
      },
      'p.json: shot-02: was "unchanged", is now "create" (the lockfile changed)',
    ],
    [
      'the endpoint',
      (plan) => {
        plan.endpoint = 'https://api.wavespeed.ai';
      },
      'it was made for https://api.wavespeed.ai, this run is on',
    ],
    [
      'a prompt in the request shown for review',
      (plan) => {
        plan.shots[3]!.request.prompt = 'something the reviewer never saw in the spec';
      },
      'p.json: shot-04: its request differs from the saved plan',
    ],
  ])('a plan file with %s edited is refused (exit 2), nothing submitted', async (_what, edit, message) => {
    const server = await mockServer();
    const p = makeProject({ shots: 4 });
    const file = await savePlan(p, server);
    editPlan(file, edit);
    const r = await apply(p, server, [], file);
    expectExit(r, 2);
    expect(r.stderr).toMatch(/^error: the saved plan p\.json is stale: 1 difference\n/);
    expect(r.stderr).toContain(message);
    expect(server.stats()).toMatchObject({ submissions: 0, uploads: 0 });
  });

  it('applied against another endpoint: refused (exit 2), saying the endpoint changed and naming both, never "the lockfile changed"', async () => {
    const first = await mockServer();
    const second = await mockServer();
    const p = makeProject({ shots: 2 });
    expectExit(await apply(p, first, ['--only', 'shot-01']), 0);
    const file = await savePlan(p, first); // shot-01 unchanged, shot-02 create, on the first server
    const r = await apply(p, second, [], file);
    expectExit(r, 2);
    expect(r.stderr).toBe(
      'error: the saved plan p.json is stale: 2 differences\n' +
        `  p.json: the endpoint changed: it was made for ${first.url}, this run is on ${second.url}\n` +
        '  p.json: shot-01: was "unchanged", is now "create" (the endpoint changed)\n' +
        'hint: review a fresh plan: render plan spec.yaml --out p.json\n',
    );
    expect(second.stats()).toMatchObject({ submissions: 0, uploads: 0 });
  });

  it('a plan file that is not a plan is refused (exit 2)', async () => {
    const server = await mockServer();
    const p = makeProject({ shots: 2 });
    const file = await savePlan(p, server);
    writeFileSync(file, '{"format": 1, "shots": "no"}');
    const r = await apply(p, server, [], file);
    expectExit(r, 2);
    expect(r.stderr).toContain('error: p.json is not a render plan (format 1)');
    writeFileSync(file, '{ "format": 1, ');
    const torn = await apply(p, server, [], file);
    expectExit(torn, 2);
    expect(torn.stderr).toMatch(/^error: p\.json is not valid JSON: /);
    expect(server.stats().submissions).toBe(0);
  });

  it('--only and --max-cost cannot be added to a saved plan (exit 2)', async () => {
    const server = await mockServer();
    const p = makeProject({ shots: 2 });
    const file = await savePlan(p, server);
    for (const extra of [
      ['--only', 'shot-01'],
      ['--max-cost', '100'],
    ]) {
      const r = await apply(p, server, extra, file);
      expectExit(r, 2);
      expect(r.stderr).toContain('error: --only and --max-cost belong to `render plan` when applying a saved plan');
    }
    expect(server.stats().submissions).toBe(0);
  });
});
