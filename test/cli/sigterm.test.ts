import { launch, launchChecked } from '../helpers/launcher.js';
import { existsSync, readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI, ensureBuilt } from '../helpers/build.js';
import { makeWorkspace } from '../helpers/workspace.js';

/**
 * Issue 9.11: templating is synchronous and cannot be interrupted from inside, so SIGTERM must keep its default
 * action: the CLI installs no SIGTERM handler (one that only set a flag would be heard after the work ends).
 */

beforeAll(ensureBuilt, 180_000);

const procfs = existsSync('/proc/self/stat');

/** CPU time a process has used, in seconds (Linux: utime + stime of /proc/<pid>/stat). */
function cpuSeconds(pid: number, ticksPerSecond: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
  } catch {
    return 0;
  }
}

describe('SIGTERM', () => {
  it.skipIf(!procfs)('ends `render validate` at once while it is busy templating a bomb, by the default action', async () => {
    // Each of 1,000 matrix shots runs a four-deep {{#each}} over 300 items up to the per-render budget: about a
    // second of synchronous templating in all.
    const ws = makeWorkspace();
    const l = Array.from({ length: 300 }, (_, i) => i).join(', ');
    const m = Array.from({ length: 1000 }, (_, i) => i).join(', ');
    const each = '{{#each @root.l}}'.repeat(4) + '{{/each}}'.repeat(4);
    const spec = ws.spec(
      `version: 1\nname: bomb\nbudget: { max_usd: 10 }\nvars:\n  l: [${l}]\nshots:\n  - id: a-{{i}}\n    matrix: { i: [${m}] }\n    image: img/ok.png\n    prompt: "${each}"\n`,
    );
    const ticks = Number((await launchChecked('getconf', ['CLK_TCK'])).trim()) || 100;
    const child = launch(process.execPath, [CLI, 'validate', spec]);
    await new Promise((started) => child.once('spawn', started));
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on('close', (code, signal) => resolve({ code, signal })),
    );
    let ended = false;
    void done.then(() => (ended = true));
    // Busy: past start-up (0.2 to 0.4 s of CPU), into the templating, which the spec-wide template budget ends
    // after about a second of CPU.
    while (!ended && cpuSeconds(child.pid!, ticks) < 0.6) await new Promise((r) => setTimeout(r, 10));
    expect(ended, `validate ended before it was busy for 0.6 s of CPU: ${out}`).toBe(false);
    child.kill('SIGTERM');
    const r = await done;
    expect(r, out).toEqual({ code: null, signal: 'SIGTERM' });
    expect(out).toBe('');
  });
});
