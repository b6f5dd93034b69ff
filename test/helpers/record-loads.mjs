/**
 * `node --import ./record-loads.mjs`: appends the URL of every module the process resolves, one a line, to the
 * file named by RENDER_LOAD_LOG. Used to prove which modules a CLI command loads (test/cli/lazy-load.test.ts).
 * The hooks run on Node's loader thread; appending synchronously keeps the log complete when an import settles.
 */
import { register } from 'node:module';

const hooks = `
import { appendFileSync } from 'node:fs';
let log;
export function initialize(data) { log = data.log; }
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  appendFileSync(log, result.url + '\\n');
  return result;
}`;

register(`data:text/javascript,${encodeURIComponent(hooks)}`, import.meta.url, { data: { log: process.env.RENDER_LOAD_LOG } });
