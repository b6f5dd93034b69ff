import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI as BIN, ensureBuilt, ROOT } from '../helpers/build.js';
import { render, stripDir } from '../helpers/cli.js';
import { launchOutput } from '../helpers/launcher.js';
import { copyExample, makeWorkspace } from '../helpers/workspace.js';

/**
 * The built binary, run as a user runs it: `node dist/cli/main.js ...` in a child process, real stdout,
 * stderr and exit code, for what only a process shows; the rest in-process (test/helpers/cli.ts). dist/ is built first when it is missing or older than src/ (ensureBuilt), so a stale
 * binary is never what is tested.
 */

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run the binary with no WaveSpeed settings from the environment of whoever runs the tests. */
async function run(args: string[], cwd = ROOT, extraEnv: NodeJS.ProcessEnv = {}): Promise<Run> {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', ...extraEnv };
  delete env.WAVESPEED_API_KEY;
  delete env.WAVESPEED_BASE_URL;
  delete env.RENDER_DEBUG;
  const r = await launchOutput(process.execPath, [BIN, ...args], { cwd, env });
  return { code: r.code ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** A command run twice with a code cache of its own: the first run makes it, the second runs from it. */
interface Twice {
  cache: string;
  first: Run;
  second: Run;
}

async function twice(args: string[], cwd: string): Promise<Twice> {
  const cache = path.join(makeWorkspace().dir, '.cache');
  const first = await run(args, cwd, { XDG_CACHE_HOME: cache });
  return { cache, first, second: await run(args, cwd, { XDG_CACHE_HOME: cache }) };
}

const PLAN = ['plan', 'specs/spring-launch.yaml', '--json'];
const BAD = ['validate', 'test/fixtures/corpus/schema/duration-16/spec.yaml'];
let plan: Twice;
let bad: Twice;

// Each process costs a start of the bundle: the same two runs serve the tests of streams and exit codes below and
// the test of the code cache (docs/ARCHITECTURE.md "Start-up").
beforeAll(async () => {
  ensureBuilt();
  plan = await twice(PLAN, copyExample().dir);
  bad = await twice(BAD, ROOT);
}, 180_000);

describe('the render binary', () => {
  // What only a process shows: its exit code, and its streams written out in full before it exits. The same
  // commands' output, in-process, is below and in the other CLI tests.
  it('prints a whole plan --json through a pipe before it exits, exit 0', () => {
    const { code, stdout, stderr } = plan.first;
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(stdout).totals).toMatchObject({ shots: 13, cost_usd: 35.7 });
  });

  it('validate on a bad spec: exit 2, file:line:col on stderr, nothing on stdout', () => {
    const { code, stdout, stderr } = bad.first;
    expect({ code, stdout }).toEqual({ code: 2, stdout: '' });
    expect(stderr).toContain('\n  test/fixtures/corpus/schema/duration-16/spec.yaml:14:15 shots[2].duration: must be an integer from 3 to 15, got 16\n');
  });

  it('runs a command the same from its code cache as when it made it, a failing one too (docs/ARCHITECTURE.md "Start-up")', () => {
    for (const [command, { cache, first, second }] of [
      ['plan', plan],
      ['validate', bad],
    ] as const) {
      expect(readdirSync(path.join(cache, 'render')).filter((f) => f.startsWith(`${command}-`))).toHaveLength(1);
      expect(second).toEqual(first);
    }
  });

  it('keeps no code cache under NODE_DISABLE_COMPILE_CACHE=1, and prints the same', async () => {
    const ws = copyExample();
    const env = { XDG_CACHE_HOME: path.join(ws.dir, '.cache'), NODE_DISABLE_COMPILE_CACHE: '1' };
    expect(await run(['validate', 'specs/spring-launch.yaml'], ws.dir, env)).toMatchObject({ code: 0, stderr: '' });
    expect(existsSync(path.join(ws.dir, '.cache'))).toBe(false);
  });
});

describe('render, as the binary runs it (in-process)', () => {
  it('plans the example campaign: the table on stdout, exit 0', async () => {
    const ws = copyExample();
    const { code, stdout, stderr } = await render(['plan', ws.path('specs/spring-launch.yaml')]);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stripDir(stdout, ws.dir).split('\n')[0]).toBe(
      'Plan for spring-launch (specs/spring-launch.yaml): kwaivgi/kling-v3.0-4k/image-to-video on https://api.wavespeed.ai',
    );
    expect(stdout).toContain('13 shots: 13 to create; 85 s of new video at $0.42/s');
    expect(stdout).toContain('after apply          $35.70   of $60.00 budget ($24.30 left)');
  });

  it('--help lists the commands and the exit codes, exit 0', async () => {
    const { code, stdout, stderr } = await render(['--help']);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toContain('Usage: render <command> [options]');
    expect(stdout).toMatch(/^ {2}validate +Check a spec/m);
    expect(stdout).toMatch(/^ {2}plan +Show what an apply would render/m);
    // The one table of exit codes (docs/SPEC.md "Exit codes"): each code on its own line.
    for (const code of [0, 1, 2, 3, 4, 5, 130]) expect(stdout).toMatch(new RegExp(`^ {2}${code} +\\S`, 'm'));
    expect(stdout).toMatch(/^ {2}5 +shots blocked/m);
    expect(stdout).toContain('--no-color');
  });

  it('plan --help shows its own usage, exit 0', async () => {
    const { code, stdout } = await render(['plan', '--help']);
    expect(code).toBe(0);
    expect(stdout.split('\n')[0]).toMatch(/^Usage: render plan SPEC \[--json\]/);
    expect(stdout).toContain('--detailed-exitcode');
  });

  it('--version prints the package version, exit 0', async () => {
    const { version } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(await render(['--version'])).toEqual({ code: 0, stdout: `render ${version}\n`, stderr: '' });
  });

  it('an unknown command: exit 2, says so on stderr, nothing on stdout', async () => {
    const { code, stdout, stderr } = await render(['rendr', 'specs/spring-launch.yaml']);
    expect({ code, stdout }).toEqual({ code: 2, stdout: '' });
    expect(stderr).toMatch(/^error: unknown command "rendr"\nhint: commands: validate, plan, .*schema.*; see `render --help`\n$/);
  });

  it('validate on a good spec: one line on stdout, exit 0', async () => {
    const ws = copyExample();
    const r = await render(['validate', ws.path('specs/spring-launch.yaml')]);
    expect({ ...r, stdout: stripDir(r.stdout, ws.dir) }).toEqual({
      code: 0,
      stdout: 'specs/spring-launch.yaml: valid: 13 shots, 85 s of video, $35.70 to render from scratch\n',
      stderr: '',
    });
  });

  it('a missing argument is a usage error: exit 2', async () => {
    const { code, stdout, stderr } = await render(['plan']);
    expect({ code, stdout }).toEqual({ code: 2, stdout: '' });
    expect(stderr).toMatch(/^error: plan: missing argument\n/);
  });
});
