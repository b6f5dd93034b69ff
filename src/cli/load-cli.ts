import { statSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runWithCodeCache } from '../util/code-cache.js';

type RunModule = typeof import('./run.js');

export interface LoadedCli {
  runCli: RunModule['runCli'];
  /** Write the code cache if this start made one; after the command, never throws. */
  saveCodeCache(): void;
}

const BUNDLE = fileURLToPath(new URL('./run.bundle.cjs', import.meta.url));
const SELF = fileURLToPath(import.meta.url);

/**
 * The CLI, loaded the fastest way this Node allows (docs/ARCHITECTURE.md "Start-up"). A command runs from
 * dist/cli/run.bundle.cjs (every module it needs in one CommonJS file) with V8's compiled code cached per command in
 * the user's cache folder, so a start compiles nothing. `render --version` and `--help` name no command and load
 * little: they import dist/cli/run.js as it is, as does a build whose bundle is missing or older than tsc's output.
 * Both are the same code.
 */
export async function loadCli(args: readonly string[], env: Record<string, string | undefined>): Promise<LoadedCli> {
  const command = args.find((a) => !a.startsWith('-'));
  if (command === undefined || !/^[a-z]{1,32}$/.test(command) || !bundleIsFresh()) {
    const { runCli } = await import('./run.js');
    return { runCli, saveCodeCache() {} };
  }
  const dir = codeCacheDir(env);
  const script = runWithCodeCache<RunModule>(BUNDLE, dir === undefined ? undefined : { dir, name: command });
  return { runCli: script.exports.runCli, saveCodeCache: () => script.save() };
}

/** tsc rewrites every output, this file too: a bundle older than it was made from other sources. */
function bundleIsFresh(): boolean {
  try {
    return statSync(BUNDLE).mtimeMs >= statSync(SELF).mtimeMs;
  } catch {
    return false;
  }
}

/**
 * `$XDG_CACHE_HOME/render`, else `~/.cache/render` (`%LOCALAPPDATA%\render` on Windows); none when
 * NODE_DISABLE_COMPILE_CACHE is set, the variable that turns off Node's own compile cache.
 */
function codeCacheDir(env: Record<string, string | undefined>): string | undefined {
  if (env.NODE_DISABLE_COMPILE_CACHE) return undefined;
  const xdg = env.XDG_CACHE_HOME;
  if (xdg && path.isAbsolute(xdg)) return path.join(xdg, 'render');
  if (process.platform === 'win32') return env.LOCALAPPDATA ? path.join(env.LOCALAPPDATA, 'render') : undefined;
  let home = env.HOME;
  try {
    home ||= homedir();
  } catch {
    // no home folder at all (a user with no passwd entry): no cache
  }
  return home ? path.join(home, '.cache', 'render') : undefined;
}
