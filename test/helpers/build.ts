import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The built binary, for the few tests that need a real process (a SIGKILL, a signal, the binary's own exit and
 * streams). They must never test a stale dist/: `ensureBuilt()` builds when dist/ is missing or older than src/.
 */

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = path.join(ROOT, 'dist', 'cli', 'main.js');
/** What a command runs from (scripts/bundle-cli.mjs, after tsc); main.js falls back to dist/ when it is older. */
const BUNDLE = path.join(ROOT, 'dist', 'cli', 'run.bundle.cjs');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const abs = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(abs) : statSync(abs).mtimeMs);
  }
  return newest;
}

/** Why dist/ cannot be tested as it is, or undefined when it is up to date. */
function staleReason(): string | undefined {
  if (!existsSync(CLI)) return `${path.relative(ROOT, CLI)} does not exist`;
  // tsc rewrites every output, so main.js is as old as the last build.
  const src = newestMtime(path.join(ROOT, 'src'));
  const built = statSync(CLI).mtimeMs;
  if (src > built) return `src/ changed after the last build (${new Date(src).toISOString()} > ${new Date(built).toISOString()})`;
  if (!existsSync(BUNDLE) || statSync(BUNDLE).mtimeMs < built) return `${path.relative(ROOT, BUNDLE)} is missing or older than tsc's output`;
  return undefined;
}

/**
 * `npm test` builds first; a bare `npx vitest run test/apply` may find dist/ missing or older than src/. Build
 * then, once: a folder made with mkdir is the lock between vitest's workers. Throws, saying why, when the build
 * fails or leaves dist/ stale, so no test ever passes against an old binary.
 */
export function ensureBuilt(): void {
  if (staleReason() === undefined) return;
  const lock = path.join(tmpdir(), `render-test-build-${Buffer.from(ROOT).toString('hex').slice(-16)}.lock`);
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`build lock ${lock} held for 2 minutes; remove it if no build runs`);
      // Another worker builds: wait 200 ms, blocked as a build would block, without starting a process to sleep.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
    }
  }
  try {
    if (staleReason() === undefined) return; // another worker built it meanwhile
    try {
      execFileSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'pipe' });
    } catch (err) {
      // tsc still emits on type errors (work in progress elsewhere in src): test what was built, and say so.
      const why = staleReason();
      if (why !== undefined) throw new Error(`dist/ is stale (${why}) and \`npm run build\` failed:\n${String((err as { stdout?: unknown }).stdout ?? err)}`);
      console.warn(`tsc reported errors while building dist/ for the binary tests:\n${String((err as { stdout?: unknown }).stdout ?? err)}`);
    }
    execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'bundle-cli.mjs')], { cwd: ROOT, stdio: 'pipe' });
    const why = staleReason();
    if (why !== undefined) throw new Error(`dist/ is still stale after \`npm run build\`: ${why}`);
  } finally {
    rmdirSync(lock);
  }
}
