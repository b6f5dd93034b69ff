import { describe, expect, it } from 'vitest';
import { costCents, MODEL_IDS } from '../../src/models.js';
import { formatUsd, parseUsd, usdToCents } from '../../src/money.js';
import { planSpec } from '../../src/plan/plan-spec.js';
import { render } from '../helpers/cli.js';
import { makeWorkspace, SPEC_HEAD } from '../helpers/workspace.js';

/**
 * docs/SPEC.md "Rules", Cost: duration × the model's price per second, counted in integer cents, never in
 * floating-point dollars, shown with 2 decimals. Budgets: over budget (or over --max-cost) is exit 3 and says by how
 * much.
 */

const ENDPOINT = 'https://api.wavespeed.ai';

describe('the cost of a shot', () => {
  it.each([
    [3, 126, '1.26'],
    [5, 210, '2.10'],
    [7, 294, '2.94'],
    [15, 630, '6.30'],
  ])('%i s costs %i cents, $%s', (seconds, cents, shown) => {
    expect(costCents('kwaivgi/kling-v3.0-4k/image-to-video', seconds)).toBe(cents);
    expect(formatUsd(cents)).toBe(shown);
  });

  it('is $0.42 a second on every model in the price table', () => {
    expect(MODEL_IDS.map((m) => costCents(m, 1))).toEqual(MODEL_IDS.map(() => 42));
  });

  it('is refused for a model with no price, rather than guessed', () => {
    expect(() => costCents('kwaivgi/kling-v2.1/image-to-video', 5)).toThrow('no price for model kwaivgi/kling-v2.1/image-to-video');
  });
});

describe('dollar amounts', () => {
  it.each([
    [0, '0.00'],
    [5, '0.05'],
    [100, '1.00'],
    [-250, '-2.50'],
    [123_456_789, '1234567.89'],
  ])('%i cents shows as %s', (cents, shown) => {
    expect(formatUsd(cents)).toBe(shown);
  });

  it.each([
    ['60', 6000],
    ['59.5', 5950],
    ['0.42', 42],
    ['0.29', 29], // 0.29 * 100 is 28.999999999999996 in floating point
    ['12.345', null],
    ['-1', null],
    ['ten', null],
  ])('typed as %j is %j cents', (text, cents) => {
    expect(parseUsd(text)).toBe(cents);
  });

  it.each([
    [60, 6000],
    [10.5, 1050],
    [0.29, 29],
    [1.005, null], // sub-cent precision is refused, not rounded
    [-1, null],
  ])('written in YAML as %j is %j cents', (usd, cents) => {
    expect(usdToCents(usd)).toBe(cents);
  });
});

describe('plan totals', () => {
  it('are exact to the cent for many shots, where a floating-point sum drifts', () => {
    const ws = makeWorkspace();
    const durations = Array.from({ length: 1000 }, (_, i) => 3 + (i % 13));
    const shots = durations.map((d, i) => `  - { id: s${i}, image: "https://example.com/a.png", duration: ${d}, prompt: p }`).join('\n');
    const { plan } = planSpec(ws.spec(`${SPEC_HEAD.replace('100', '100000')}shots:\n${shots}\n`), { endpoint: ENDPOINT });

    const seconds = durations.reduce((n, d) => n + d, 0);
    expect(plan.totals.costCents).toBe(seconds * 42);
    expect(plan.shots.map((s) => s.costCents)).toEqual(durations.map((d) => d * 42));
    expect(formatUsd(plan.totals.costCents)).toBe('3777.48');
    // What the integer cents guard against: the same sum in floating-point dollars is not 3777.48.
    expect(durations.reduce((n, d) => n + d * 0.42, 0)).not.toBe(3777.48);
  });

  it('in plan --json: every cost_usd is an exact 2-decimal number, equal to its cents', async () => {
    const { code, stdout } = await render(['plan', 'test/fixtures/specs/money.yaml', '--json']);
    expect(code).toBe(0);
    const json = JSON.parse(stdout) as { shots: { id: string; cost_usd: number }[]; totals: Record<string, number> };
    expect(json.shots.map((s) => [s.id, s.cost_usd])).toEqual([
      ['shortest', 1.26],
      ['seven', 2.94],
      ['longest', 6.3],
    ]);
    expect(stdout).toContain('"cost_usd": 2.94,');
    expect(json.totals).toMatchObject({ cost_usd: 10.5, spent_usd: 0, budget_usd: 10.5, after_apply_usd: 10.5, over_budget_usd: 0 });
    expect(json.totals).toMatchObject({ cost_cents: 1050, spent_cents: 0, budget_cents: 1050, after_apply_cents: 1050 });
  });
});

describe('the budget', () => {
  it('spending exactly the budget is within it: exit 0', async () => {
    const { code, stdout } = await render(['plan', 'test/fixtures/specs/money.yaml']);
    expect(code).toBe(0);
    expect(stdout).toMatchInlineSnapshot(`
      "Plan for money (test/fixtures/specs/money.yaml): kwaivgi/kling-v3.0-4k/image-to-video on https://api.wavespeed.ai

           SHOT      ACTION  DUR   COST  PROMPT / REASON
        +  shortest  create   3s  $1.26  three seconds, $1.26
        +  seven     create   7s  $2.94  seven seconds, $2.94
        +  longest   create  15s  $6.30  fifteen seconds, $6.30

      3 shots: 3 to create; 25 s of new video at $0.42/s
        this apply           $10.50
        spent before          $0.00
        after apply          $10.50   of $10.50 budget ($0.00 left)
      "
    `);
  });

  it('one cent over the budget: exit 3, saying by how much and that nothing will be submitted', async () => {
    const { code, stdout, stderr } = await render(['plan', 'test/fixtures/specs/money-over-budget.yaml']);
    expect({ code, stderr }).toEqual({ code: 3, stderr: '' });
    expect(stdout.split('\n').slice(-6).join('\n')).toMatchInlineSnapshot(`
      "  spent before          $0.00
        after apply          $10.50   of $10.49 budget ($0.01 over)

      OVER BUDGET by $0.01: nothing will be submitted.
        raise budget.max_usd in money-over-budget.yaml, raise --max-cost, or render fewer shots (--only GLOB)
      "
    `);
  });

  it('over budget in plan --json: exit 3, over_budget_usd says by how much', async () => {
    const { code, stdout } = await render(['plan', 'test/fixtures/specs/money-over-budget.yaml', '--json']);
    expect(code).toBe(3);
    expect(JSON.parse(stdout).totals).toMatchObject({ cost_usd: 10.5, budget_usd: 10.49, after_apply_usd: 10.5, over_budget_usd: 0.01 });
  });

  it.each([
    ['10.49', 3, 'OVER --max-cost by $0.01: nothing will be submitted.'],
    ['$10.50', 0, undefined],
    ['5', 3, 'OVER --max-cost by $5.50: nothing will be submitted.'],
  ])('--max-cost %s caps this run: exit %i', async (cap, exit, line) => {
    const { code, stdout } = await render(['plan', 'test/fixtures/specs/money.yaml', '--max-cost', cap]);
    expect(code).toBe(exit);
    const over = stdout.split('\n').find((l) => l.startsWith('OVER'));
    expect(over).toBe(line);
  });

  it('over both caps names both', async () => {
    const { code, stdout } = await render(['plan', 'test/fixtures/specs/money-over-budget.yaml', '--max-cost', '5']);
    expect(code).toBe(3);
    expect(stdout).toContain('OVER BUDGET by $0.01 and --max-cost by $5.50: nothing will be submitted.');
  });

  it.each(['ten', '1.005', '-3'])('--max-cost %s is a usage error: exit 2', async (cap) => {
    const { code, stdout, stderr } = await render(['plan', 'test/fixtures/specs/money.yaml', `--max-cost=${cap}`]);
    expect({ code, stdout }).toEqual({ code: 2, stdout: '' });
    expect(stderr).toBe(`error: --max-cost must be an amount in US dollars like 25 or 12.50, got ${JSON.stringify(cap)}\n`);
  });
});
