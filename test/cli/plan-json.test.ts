import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { REQUEST_FIELDS } from '../../src/models.js';
import { render } from '../helpers/cli.js';
import { copyExample } from '../helpers/workspace.js';

/**
 * docs/SPEC.md "Commands and exit codes": `plan --json` prints one JSON object with at least shots[] (id, action,
 * reason, duration, cost_usd, fingerprint, request: the exact body, local paths standing where upload URLs will go)
 * and totals (shots, to_submit, cost_usd, spent_usd, budget_usd, after_apply_usd). Run on a copy of the example
 * campaign.
 */

interface JsonShot {
  id: string;
  action: string;
  reason: string;
  duration: number;
  cost_usd: number;
  fingerprint: string;
  request: Record<string, unknown>;
}

const ws = copyExample();
const SPEC = ws.path('specs/spring-launch.yaml');

describe('render plan --json', async () => {
  const { code, stdout, stderr } = await render(['plan', SPEC, '--json']);
  const json = JSON.parse(stdout) as { shots: JsonShot[]; totals: Record<string, number> };
  const shot = (id: string) => json.shots.find((s) => s.id === id)!;

  it('prints one JSON object on stdout, nothing on stderr, exit 0', () => {
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout.trim().startsWith('{') && stdout.trim().endsWith('}')).toBe(true);
  });

  it('has a row per expanded shot with the fields SPEC.md names', () => {
    expect(json.shots).toHaveLength(13);
    for (const s of json.shots) {
      expect(Object.keys(s)).toEqual(expect.arrayContaining(['id', 'action', 'reason', 'duration', 'cost_usd', 'fingerprint', 'request']));
      expect(s.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    }
  });

  it('gives the exact request body, local images as written in the spec (relative to it)', () => {
    expect(shot('opener')).toMatchObject({
      action: 'create',
      reason: 'never rendered',
      duration: 6,
      cost_usd: 2.52,
      request: {
        duration: 6,
        image: '../assets/hero.png',
        end_image: '../assets/hero-end.png',
        negative_prompt: 'blurry, warped hands, extra fingers, text artifacts, flicker, morphing shoe geometry',
        cfg_scale: 0.5,
        sound: false,
        shot_type: 'customize',
      },
    });
    expect(shot('opener').request.prompt).toMatch(
      /^Hero product shot of the Aster Bloom Runner \(chalk-white knit upper, coral heel tab & side stripe, gum sole\)/,
    );
  });

  it('sends only fields the model knows: elements become element_list, id/matrix/take stay out', () => {
    for (const s of json.shots) expect(REQUEST_FIELDS).toEqual(expect.arrayContaining(Object.keys(s.request)));
    expect(shot('mascot-intro').request.element_list).toEqual([{ element_id: '318406227590142' }]);
    expect(shot('rooftop-montage').request).toMatchObject({ duration: 12, sound: true });
    expect(shot('rooftop-montage').request).not.toHaveProperty('prompt');
  });

  it('totals the plan against the budget, in dollars with 2 decimals', () => {
    expect(json.totals).toMatchObject({ shots: 13, to_submit: 13, cost_usd: 35.7, spent_usd: 0, budget_usd: 60, after_apply_usd: 35.7 });
    const cents = json.shots.reduce((n, s) => n + Math.round(s.cost_usd * 100), 0);
    expect(cents).toBe(3570);
  });

  it('--out saves the same plan to a file and still prints the table', async () => {
    const out = ws.path('plan.json');
    const r = await render(['plan', SPEC, '--out', out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('13 shots: 13 to create; 85 s of new video at $0.42/s');
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual(json);
  });
});
