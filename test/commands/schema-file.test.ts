import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { JSON_SCHEMAS } from '../../src/report/json-schemas.js';
import { render } from '../helpers/cli.js';

describe('the committed JSON Schemas in schema/', () => {
  it.each(Object.entries(JSON_SCHEMAS).map(([name, s]) => [name, s.file] as const))(
    '%s: schema/%s is exactly what `render schema` prints (regenerate: render schema NAME > schema/FILE)',
    async (name, file) => {
      const r = await render(name === 'spec' ? ['schema'] : ['schema', name]);
      expect(r.code).toBe(0);
      expect(readFileSync(new URL(`../../schema/${file}`, import.meta.url), 'utf8')).toBe(r.stdout);
    },
  );

  it('an unknown schema name is a usage error naming the schemas', async () => {
    const r = await render(['schema', 'nope']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('schemas: spec, plan, apply-event, status, takes, validate, doctor, ledger');
  });
});
