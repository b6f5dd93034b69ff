import { describe, expect, it } from 'vitest';
import { render as renderInProcess } from '../helpers/cli.js';
import { checkJsonSchema, committedSchema } from '../helpers/json-schema.js';
import { apply, expectExit, makeProject, mockServer, ndjson, render } from '../apply/helpers.js';

/**
 * One JSON convention (docs/SPEC.md "JSON output"): every `--json` output and apply event is snake_case, money in
 * integer cents and in dollars, and conforms to its committed JSON Schema in schema/.
 */

const CAMEL = /"[a-z]+[A-Z][A-Za-z]*":/;

function expectConforms(file: string, value: unknown): void {
  expect(checkJsonSchema(committedSchema(file), value), JSON.stringify(value).slice(0, 400)).toEqual([]);
}

describe('every --json output conforms to its schema in schema/', () => {
  it('plan, apply events (failures and refunds among them), status and takes of a run with failed shots', async () => {
    const server = await mockServer({ faults: { taskFailRate: 1, taskFailCodes: [5000] } });
    const p = makeProject({ shots: 2 });
    const plan = await render(['plan', p.spec, '--json'], { cwd: p.dir, server });
    expectExit(plan, 0);
    expectConforms('plan.schema.json', JSON.parse(plan.stdout));

    const run = await apply(p, server, ['--json']);
    expectExit(run, 1);
    expect(run.stdout).not.toMatch(CAMEL);
    const events = ndjson(run.stdout);
    for (const e of events) expectConforms('apply-event.schema.json', e);
    expect(events.filter((e) => e.type === 'failed')[0]).toMatchObject({ refunded_cents: 126, refunded_usd: 1.26 });
    expect(events.at(-1)).toMatchObject({ type: 'summary', summary: { refunded_cents: 252, refunded_usd: 2.52, spent_cents: 0 } });

    const status = await render(['status', p.spec, '--json'], { cwd: p.dir, server });
    expectExit(status, 0);
    expect(status.stdout).not.toMatch(CAMEL);
    const s = JSON.parse(status.stdout);
    expectConforms('status.schema.json', s);
    expect(s.shots[0]).toMatchObject({ status: 'failed', action: 'retry', cost_cents: 0, refunded_cents: 126, refunded_usd: 1.26 });

    const takes = await render(['takes', p.spec, '--json'], { cwd: p.dir, server });
    expectExit(takes, 0);
    expectConforms('takes.schema.json', JSON.parse(takes.stdout));
  });

  it('validate --json: the expanded shots of a valid spec', async () => {
    const r = await renderInProcess(['validate', 'specs/spring-launch.yaml', '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expectConforms('validate.schema.json', out);
    expect(out).toMatchObject({ valid: true, name: 'spring-launch' });
    expect(out.cost_usd * 100).toBeCloseTo(out.cost_cents);
  });

  it('validate --json: an invalid spec prints every problem as JSON on stdout (and as text on stderr), exit 2', async () => {
    const r = await renderInProcess(['validate', 'test/fixtures/corpus/schema/duration-16/spec.yaml', '--json']);
    expect(r.code).toBe(2);
    const out = JSON.parse(r.stdout);
    expectConforms('validate.schema.json', out);
    expect(out).toMatchObject({
      valid: false,
      error: { code: 'SPEC_INVALID', issues: [expect.objectContaining({ path: 'shots[2].duration', line: expect.any(Number) })] },
    });
    expect(r.stderr).toMatch(/^error: /);
  });

  it('validate --json: a spec that is not there is JSON too', async () => {
    const r = await renderInProcess(['validate', 'no-such-spec.yaml', '--json']);
    expect(r.code).toBe(2);
    const out = JSON.parse(r.stdout);
    expectConforms('validate.schema.json', out);
    expect(out.error).toMatchObject({ code: 'FILE_NOT_FOUND', issues: [] });
  });
});
