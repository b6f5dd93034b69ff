import { appendFileSync, rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { issueLines, render } from '../helpers/cli.js';
import { copyCase, loadCases, matches, platformHas, resolveArgs, runSetup, snapshot, stripDir, unblockFifos } from './harness.js';
import { startTripwire, type Tripwire } from './tripwire.js';

/**
 * Issue #5: a corpus of bad inputs (test/fixtures/corpus/<category>/<case>/). Whatever is wrong, `render`
 *   1. exits with the documented code (2 invalid spec, plan, lockfile or usage; 3 over budget),
 *   2. says what is wrong in a clear message (the case's patterns, file:line:col where there is a place), never
 *      a stack trace or an "internal error",
 *   3. makes no network call (the API key is a sentinel, the base URL a loopback tripwire that counts requests,
 *      and every fetch or socket to any host is recorded),
 *   4. changes no file: the case's folder has the same entries with the same bytes after the run (an empty
 *      `.render/` left behind counts as a change).
 */

const CASES = loadCases();
const SENTINEL_KEY = 'corpus-sentinel-key-must-never-be-used';
/** Every category the issue names, with the least number of cases each must have. */
const REQUIRED: Record<string, number> = {
  yaml: 5,
  schema: 6,
  templates: 4,
  matrix: 3,
  elements: 3,
  images: 9,
  lockfile: 4,
  'saved-plan': 4,
  cli: 10,
  budget: 2,
};

let wire: Tripwire;
const warnings: string[] = [];
beforeAll(async () => {
  wire = await startTripwire();
  vi.spyOn(process, 'emitWarning').mockImplementation((w: string | Error) => {
    warnings.push(typeof w === 'string' ? w : w.message);
  });
  // Output must go through the CLI's streams: anything on the console would bypass them (and corrupt --json).
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      warnings.push(`console.${method}: ${args.map(String).join(' ')}`);
    });
  }
});
afterAll(async () => {
  vi.restoreAllMocks();
  await wire.close();
});

describe('the bad-input corpus', () => {
  it('has at least 60 cases, covering every category', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(60);
    const counts: Record<string, number> = {};
    for (const c of CASES) counts[c.category] = (counts[c.category] ?? 0) + 1;
    for (const [category, least] of Object.entries(REQUIRED)) expect(counts[category] ?? 0, category).toBeGreaterThanOrEqual(least);
    // Every case pins a documented code and at least one message.
    for (const c of CASES) {
      expect([2, 3], c.name).toContain(c.expect.exit);
      expect(c.expect.stderr.length + (c.expect.stdout?.length ?? 0) + (c.expect.issues?.length ?? 0), c.name).toBeGreaterThan(0);
    }
  });

  const lacking = (c: (typeof CASES)[number]) => c.expect.needs?.filter((n) => !platformHas(n)) ?? [];
  for (const c of CASES.filter((k) => lacking(k).length > 0)) {
    it.skip(`${c.category}/${c.name} (skipped: needs ${lacking(c).join(' and ')}, which this platform lacks)`, () => {});
  }

  it.each(CASES.filter((c) => lacking(c).length === 0).map((c) => [`${c.category}/${c.name}`, c] as const))('%s', async (_, c) => {
    const x = c.expect;
    const dir = copyCase(c);
    const stopUnblocker = unblockFifos(dir, x.make ?? {});
    try {
      const env: Record<string, string | undefined> = { WAVESPEED_API_KEY: SENTINEL_KEY, WAVESPEED_BASE_URL: wire.url };
      for (const [k, v] of Object.entries(x.env ?? {})) env[k] = v ?? undefined;
      await runSetup(dir, x.setup ?? [], env);
      const before = snapshot(dir);
      wire.reset();
      warnings.length = 0;

      const result = await render(resolveArgs(dir, x.args), env);
      const stderr = stripDir(result.stderr, dir);
      const stdout = stripDir(result.stdout, dir);
      const shown = `exit ${result.code}\n--- stderr\n${stderr}--- stdout\n${stdout.slice(0, 2000)}`;
      // CORPUS_DUMP=file collects what every case printed, to review the messages in one place.
      if (process.env.CORPUS_DUMP) appendFileSync(process.env.CORPUS_DUMP, `=== ${c.category}/${c.name}: ${x.why}\n${shown}\n`);

      // 1. the documented exit code
      expect(result.code, shown).toBe(x.exit);
      // 2. a clear message: every pattern, an `error:` first line, no stack, no internal error, no secret
      // (plan over budget is not an error: it prints the plan, with the overrun, on stdout and exits 3)
      if (x.stderr.length > 0) expect(stderr.startsWith('error: '), shown).toBe(true);
      for (const p of x.stderr) expect(matches(stderr, p), `stderr lacks ${JSON.stringify(p)}\n${shown}`).toBe(true);
      if (x.issues) {
        expect(issueLines(stderr), shown).toEqual(x.issues);
        const n = x.issues.length;
        expect(stderr.split('\n')[0], shown).toBe(`error: ${x.issues[0]?.split(':')[0]}: ${n} ${n === 1 ? 'error' : 'errors'}`);
      }
      if (x.stdout === undefined) expect(stdout, shown).toBe('');
      for (const p of x.stdout ?? []) expect(matches(stdout, p), `stdout lacks ${JSON.stringify(p)}\n${shown}`).toBe(true);
      expect(stderr, shown).not.toMatch(/^\s*at \S/m);
      expect(stderr, shown).not.toMatch(/internal error|TypeError|ReferenceError|RangeError|\[object Object\]|undefined:/);
      expect(`${stdout}${stderr}`).not.toContain(SENTINEL_KEY);
      expect(warnings, 'process warnings and console output').toEqual([]);
      // 3. no network: nothing reached the tripwire, nothing went out anywhere
      expect(wire.requests, 'requests to the loopback API').toEqual([]);
      expect(wire.outgoing, 'outgoing connections').toEqual([]);
      // 4. no file changed, created or removed
      expect(snapshot(dir), 'files after the run').toEqual(before);
    } finally {
      stopUnblocker();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
