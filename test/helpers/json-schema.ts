import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';

/**
 * JSON Schema (2020-12) checks with ajv, a maintained validator: the committed schemas in schema/ are what users
 * and their editors validate against, so the tests check real outputs against exactly those files.
 */

const ajv = new Ajv2020({ allErrors: true, strict: true, strictTypes: false, strictTuples: false });

/** A committed schema of schema/, by file name. */
export function committedSchema(file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL(`../../schema/${file}`, import.meta.url), 'utf8')) as Record<string, unknown>;
}

/** Problems of `value` against `schema`, as `$.path: what`; empty when it conforms. */
export function checkJsonSchema(schema: Record<string, unknown>, value: unknown): string[] {
  const id = typeof schema.$id === 'string' ? schema.$id : undefined;
  const existing = id ? ajv.getSchema(id) : undefined;
  const validate = existing && JSON.stringify(existing.schema) === JSON.stringify(schema) ? existing : compileFresh(schema, id);
  if (validate(value)) return [];
  return (validate.errors ?? []).map((e) => {
    const at = `$${e.instancePath.replace(/\/(\d+)(?=\/|$)/g, '[$1]').replace(/\//g, '.')}`;
    if (e.keyword === 'additionalProperties') return `${at}.${String(e.params.additionalProperty)}: not allowed`;
    return `${at}: ${e.message ?? e.keyword}`;
  });
}

function compileFresh(schema: Record<string, unknown>, id: string | undefined) {
  if (id) ajv.removeSchema(id);
  return ajv.compile(schema);
}
