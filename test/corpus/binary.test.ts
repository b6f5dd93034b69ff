import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, ensureBuilt } from '../helpers/build.js';
import { launchOutput } from '../helpers/launcher.js';
import { copyCase, loadCases, matches, platformHas, snapshot, unblockFifos, type CorpusCase } from './harness.js';
import { startTripwire, type Tripwire } from './tripwire.js';

/**
 * The built binary on a sample of the corpus (the first case of each exit code the corpus expects), run as a user
 * would: from the case's folder, through dist/cli/main.js, with its own signal handlers and process exit. What a
 * process adds to the in-process corpus (corpus.test.ts, every case) is its exit code and its streams, so one case
 * per exit code, not per category: each spawn costs more CPU than a hundred in-process cases. dist/ is built first
 * when it is missing or older than src/ (ensureBuilt), so a stale binary is never what is tested.
 */

const SENTINEL_KEY = 'corpus-sentinel-key-must-never-be-used';

const SAMPLE: CorpusCase[] = [];
for (const c of loadCases()) {
  const runnable = !c.expect.needs?.some((n) => !platformHas(n)) && !c.expect.setup && !c.expect.env;
  if (runnable && !SAMPLE.some((s) => s.expect.exit === c.expect.exit)) SAMPLE.push(c);
}

let wire: Tripwire;
beforeAll(ensureBuilt, 180_000);
beforeAll(async () => {
  wire = await startTripwire();
});
afterAll(async () => {
  await wire.close();
});

async function run(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { PATH: process.env.PATH, WAVESPEED_API_KEY: SENTINEL_KEY, WAVESPEED_BASE_URL: wire.url };
  const r = await launchOutput(process.execPath, [CLI, ...args], { cwd, env, timeoutMs: 20_000 });
  return { code: r.code ?? -1, stdout: r.stdout, stderr: r.stderr };
}

describe('the built binary on the corpus', () => {
  it.each(SAMPLE.map((c) => [`${c.category}/${c.name}`, c] as const))('%s', async (_, c) => {
    const dir = copyCase(c);
    const stop = unblockFifos(dir, c.expect.make ?? {});
    try {
      const before = snapshot(dir);
      wire.reset();
      // ./x is already the file x: the binary runs in the case's folder.
      const r = await run(c.expect.args, dir);
      const shown = `exit ${r.code}\n--- stderr\n${r.stderr}--- stdout\n${r.stdout}`;
      expect(r.code, shown).toBe(c.expect.exit);
      for (const p of c.expect.stderr) expect(matches(r.stderr, p), `stderr lacks ${JSON.stringify(p)}\n${shown}`).toBe(true);
      expect(r.stderr, shown).not.toMatch(/^\s*at \S|internal error|Warning:/m);
      expect(wire.requests).toEqual([]);
      expect(snapshot(dir)).toEqual(before);
    } finally {
      stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
