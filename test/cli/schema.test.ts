import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { render } from '../helpers/cli.js';
import { checkJsonSchema } from '../helpers/json-schema.js';

/** `render schema` prints the JSON Schema editors use to complete and check specs. */

const spec = (file: string) => parse(readFileSync(file, 'utf8')) as Record<string, unknown>;

describe('render schema', async () => {
  const { code, stdout, stderr } = await render(['schema']);
  const schema = JSON.parse(stdout) as Record<string, unknown> & { properties: Record<string, unknown> };

  it('prints one JSON object on stdout, exit 0', () => {
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(schema).toMatchObject({ $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'object', additionalProperties: false });
  });

  it('describes every top-level field of SPEC.md, shots among them, and requires version, name, budget, shots', () => {
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining([
        'version',
        'name',
        'model',
        'output',
        'templates',
        'budget',
        'max_shots',
        'concurrency',
        'defaults',
        'vars',
        'elements',
        'shots',
      ]),
    );
    expect(schema.required).toEqual(expect.arrayContaining(['version', 'name', 'budget', 'shots']));
  });

  it.each(['specs/spring-launch.yaml', 'specs/teaser.yaml', 'test/fixtures/specs/templating.yaml', 'test/fixtures/specs/matrix.yaml'])('accepts %s', (file) => {
    expect(checkJsonSchema(schema, spec(file))).toEqual([]);
  });

  it.each([
    ['an unknown top-level key', 'test/fixtures/corpus/schema/unknown-key-top/spec.yaml', '$.colour: not allowed'],
    ['an unknown key in a shot', 'test/fixtures/corpus/schema/unknown-key-typo/spec.yaml', '$.shots[0].durration: not allowed'],
    ['a duration of 16', 'test/fixtures/corpus/schema/duration-16/spec.yaml', '$.shots[2].duration: must be <= 15'],
    ['version 2', 'test/fixtures/corpus/schema/version-2/spec.yaml', '$.version: must be equal to constant'],
    ['an element id as a bare number', 'test/fixtures/corpus/elements/id-number/spec.yaml', '$.elements.mascot.id: must be string'],
  ])('refuses %s', (_what, file, problem) => {
    const problems = checkJsonSchema(schema, spec(file));
    expect(problems).toContain(problem);
  });

  it("describes every field, from the zod schema's own descriptions, so editors show help on hover", () => {
    const undescribed: string[] = [];
    const walk = (node: unknown, at: string): void => {
      if (node === null || typeof node !== 'object') return;
      const n = node as Record<string, unknown>;
      for (const [key, child] of Object.entries((n.properties as Record<string, Record<string, unknown>>) ?? {})) {
        if (typeof child.description !== 'string') undescribed.push(`${at}.${key}`);
        walk(child, `${at}.${key}`);
      }
      for (const k of ['items', 'additionalProperties']) walk(n[k], `${at}[]`);
      for (const k of ['anyOf', 'oneOf']) for (const c of (n[k] as unknown[]) ?? []) walk(c, at);
    };
    walk(schema, '$');
    expect(undescribed).toEqual([]);
  });
});
