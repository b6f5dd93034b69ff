import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, ROOT } from '../helpers/build.js';
import { launchChecked } from '../helpers/launcher.js';
import { copyExample } from '../helpers/workspace.js';

/**
 * The command table is metadata: a command's module (and what it imports) loads only when that command runs
 * or prints its help (docs/ARCHITECTURE.md "Layers"). One child process imports the built dist/cli/run.js
 * under a resolve hook that logs every module URL, runs each command in turn with runCli, and reports which
 * modules each step loaded first. A static import of a command module, the mock server or the HTTP client
 * in cli/run.ts shows up in the first step, the import itself.
 */

const HOOK = path.join(ROOT, 'test', 'helpers', 'record-loads.mjs');
const RUN = path.join(ROOT, 'dist', 'cli', 'run.js');

/** Modules that only `apply` and `mock` need: the HTTP client, the local server, the progress bars; and the
 * PostgreSQL client, which only a campaign with a state URL loads. */
const HEAVY = /\/node_modules\/(undici|cli-progress|pg|pg-[a-z-]+)\/|\/dist\/mock\/|\/dist\/lock\/pg\//;

const PROBE = `
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
const log = process.env.RENDER_LOAD_LOG;
const require = createRequire(import.meta.url);
const seen = new Set();
// Modules loaded since the last call: URLs the ESM resolve hook logged, plus files require() loaded (cli-progress).
const fresh = () => {
  const now = [...readFileSync(log, 'utf8').split('\\n').filter(Boolean), ...Object.keys(require.cache)];
  const out = [...new Set(now.filter((u) => !seen.has(u)))];
  for (const u of out) seen.add(u);
  return out;
};
fresh();
const sink = { write: () => true, isTTY: false, columns: 120 };
const io = { stdout: sink, stderr: sink, env: {} };
const { runCli } = await import(process.env.RENDER_RUN);
const steps = [{ argv: ['import'], code: 0, loaded: fresh() }];
for (const argv of JSON.parse(process.env.RENDER_STEPS)) steps.push({ argv, code: await runCli(argv, io), loaded: fresh() });
process.stdout.write(JSON.stringify(steps));
`;

interface Step {
  argv: string[];
  code: number;
  loaded: string[];
}

const SPEC = 'specs/spring-launch.yaml';
const LIGHT: string[][] = [
  ['--version'],
  ['--help'],
  ['help', 'plan'],
  ['validate', SPEC],
  ['validate', SPEC, '--json'],
  ['plan', SPEC],
  ['plan', SPEC, '--json', '--only', 'city-*'],
  ['status', SPEC],
  ['schema'],
];
// Last, because what they load stays loaded: the heavy modules are allowed here, and prove the log sees them.
const HEAVY_STEPS: string[][] = [
  ['apply', '--help'],
  ['mock', '--help'],
];

let steps: Step[];

beforeAll(async () => {
  ensureBuilt();
  const ws = copyExample();
  const dir = mkdtempSync(path.join(tmpdir(), 'render-lazy-'));
  try {
    const log = path.join(dir, 'loads.log');
    const out = await launchChecked(process.execPath, ['--import', HOOK, '--input-type=module', '-e', PROBE], {
      cwd: ws.dir,
      env: { ...process.env, RENDER_LOAD_LOG: log, RENDER_RUN: RUN, RENDER_STEPS: JSON.stringify([...LIGHT, ...HEAVY_STEPS]) },
    });
    steps = JSON.parse(out) as Step[];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);

const step = (argv: string[]) => steps.find((s) => s.argv.join(' ') === argv.join(' '))!;
const heavy = (s: Step) => s.loaded.filter((u) => HEAVY.test(u)).map((u) => u.replace(/^.*\/(node_modules|dist)\//, '$1/'));
const commandModules = (s: Step) => s.loaded.filter((u) => u.includes('/dist/cli/commands/')).map((u) => path.basename(u, '.js'));

describe('the CLI loads only what a command needs', () => {
  it('importing the CLI loads no command module, no HTTP client, no mock server', () => {
    expect(step(['import'])).toMatchObject({ code: 0 });
    expect(commandModules(step(['import']))).toEqual([]);
    expect(heavy(step(['import']))).toEqual([]);
  });

  it.each(LIGHT.map((argv) => [argv.join(' '), argv] as const))('render %s: exit 0, nothing heavy loaded', (_, argv) => {
    const s = step(argv);
    expect(s.code).toBe(0);
    expect(heavy(s)).toEqual([]);
  });

  it('--version and --help load no command module; `help plan` and `plan` load only plan', () => {
    expect(commandModules(step(['--version']))).toEqual([]);
    expect(commandModules(step(['--help']))).toEqual([]);
    expect(commandModules(step(['help', 'plan']))).toEqual(['plan']);
    expect(commandModules(step(['plan', SPEC]))).toEqual([]); // loaded already by `help plan`
  });

  it('apply --help loads apply (and the HTTP client) but not the mock server; mock --help loads the server', () => {
    const apply = step(['apply', '--help']);
    expect(apply.code).toBe(0);
    expect(commandModules(apply)).toEqual(['apply']);
    expect(heavy(apply)).toContain('node_modules/undici/index.js');
    expect(heavy(apply).filter((u) => u.startsWith('dist/mock/'))).toEqual([]);
    // The control: the log does see the mock server when a step loads it.
    expect(heavy(step(['mock', '--help']))).toContain('dist/mock/server.js');
  });
});
