import { mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, ROOT } from '../helpers/build.js';
import { launchChecked } from '../helpers/launcher.js';
import { copyExample, type Workspace } from '../helpers/workspace.js';

/**
 * The package as npm ships it: `npm pack`, unpacked into node_modules/render of a folder that holds the example
 * campaign, with only the declared dependencies beside it (linked to the project's installed copies, so no
 * network). A script there imports 'render' by name, as a user's code would, and a TypeScript file type-checks
 * against the shipped declarations. Catches a main/types/exports that names a file tsc does not emit, a file
 * left out of `files`, and an import of a package that is not a dependency.
 */

const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string; dependencies: Record<string, string> };

let ws: Workspace;
const node = (args: string[]) => launchChecked(process.execPath, args, { cwd: ws.dir, env: { ...process.env, NO_COLOR: '1' } });

/** A user's script: validates and plans the example campaign through the library API. */
const USE = `import { planSpec, validateSpec, RenderError, DEFAULT_BASE_URL } from 'render';
const valid = validateSpec('specs/spring-launch.yaml');
const { plan } = planSpec('specs/spring-launch.yaml', { endpoint: DEFAULT_BASE_URL });
let code;
try { validateSpec('specs/missing.yaml'); } catch (err) { code = err instanceof RenderError ? err.code : String(err); }
console.log(JSON.stringify({ from: import.meta.resolve('render'), shots: valid.shots.length, plan: plan.totals, code }));
`;

const README = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
/** The README's library example, as written. */
const EXAMPLE = /^## Use it as a library\n[\s\S]*?^```js\n([\s\S]*?)^```/m.exec(README)?.[1];

/**
 * Imports the scripts named after it in turn, in one node process (one process each would load the library once
 * each), each one's output after a line `=== <script>`; a script that throws prints why and the next one runs.
 */
const RUN_EACH = `for (const script of process.argv.slice(1)) {
  console.log(\`=== \${script}\`);
  try { await import(new URL(script, \`file://\${process.cwd()}/\`).href); } catch (err) { console.log(\`threw: \${err?.stack ?? err}\`); }
}`;
/** What each script printed, by its name. */
const printed = new Map<string, string>();

/** What a script printed; the test fails with the script's error when it threw. */
function printedBy(script: string): string {
  const out = printed.get(script);
  if (out === undefined || out.startsWith('threw: ')) throw new Error(`${script} ${out ?? 'did not run'}`);
  return out;
}

beforeAll(async () => {
  ensureBuilt();
  ws = copyExample(); // removed after the file, tarball and node_modules with it
  const out = await launchChecked('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', ws.dir], { cwd: ROOT });
  const [{ filename }] = JSON.parse(out) as [{ filename: string }];
  const installed = ws.path('node_modules/render');
  mkdirSync(installed, { recursive: true });
  await launchChecked('tar', ['-xzf', ws.path(filename), '-C', installed, '--strip-components=1']);
  for (const dep of [...Object.keys(pkg.dependencies), '@types/node']) {
    mkdirSync(path.dirname(ws.path(`node_modules/${dep}`)), { recursive: true });
    symlinkSync(path.join(ROOT, 'node_modules', dep), ws.path(`node_modules/${dep}`), 'dir');
  }
  ws.write('use.mjs', USE);
  ws.write('example.mjs', EXAMPLE ?? '');
  for (const part of (await node(['--input-type=module', '-e', RUN_EACH, 'use.mjs', 'example.mjs'])).split(/^=== /m).slice(1)) {
    const [script = '', ...out] = part.split('\n');
    printed.set(script, out.join('\n'));
  }
}, 120_000);

describe("the packed package, imported as 'render'", () => {
  it('validates and plans the example campaign through the library API', () => {
    const result = JSON.parse(printedBy('use.mjs')) as { from: string; shots: number; plan: Record<string, number>; code: string };
    expect(result.from).toBe(`file://${ws.path('node_modules/render/dist/index.js')}`);
    expect(result.shots).toBe(13);
    expect(result.plan).toMatchObject({ shots: 13, toSubmit: 13, costCents: 3570, budgetCents: 6000 });
    expect(result.code).toBe('FILE_NOT_FOUND');
  });

  it('ships declarations that type-check a caller, and reject a wrong call', async () => {
    ws.write(
      'use.ts',
      `import { applySpec, createClient, planSpec, startMockServer, type ApplyOutcome, type Plan } from 'render';
const plan: Plan = planSpec('specs/spring-launch.yaml', { endpoint: 'mock' }).plan;
const cents: number = plan.totals.costCents;
export const run = async (): Promise<ApplyOutcome> => {
  const mock = await startMockServer();
  const client = createClient({ baseUrl: mock.url, apiKey: mock.apiKey });
  return applySpec({ spec: 'specs/spring-launch.yaml', endpoint: 'mock', client, emit: () => {}, confirm: async () => cents > 0 });
};
// @ts-expect-error the endpoint a plan is for is required
planSpec('specs/spring-launch.yaml', {});
`,
    );
    const tsc = path.join(ROOT, 'node_modules/typescript/bin/tsc');
    const args = [
      '--noEmit',
      '--strict',
      '--module',
      'nodenext',
      '--moduleResolution',
      'nodenext',
      '--target',
      'es2022',
      '--lib',
      'es2023',
      '--types',
      'node',
      '--skipLibCheck',
      'use.ts',
    ];
    expect(await node([tsc, ...args])).toBe('');
  }, 60_000); // tsc parses the shipped declarations with node's and zod's: a few seconds of CPU

  it("runs the README's library example as written: plans, then applies on the mock server", () => {
    expect(EXAMPLE).toContain("from 'render'");
    const out = printedBy('example.mjs').split('\n');
    expect(out).toContain('opener create never rendered 252');
    expect(out).toContain('3570 cents to spend; 3570 of 6000 after');
    expect(out).toContain('13 done, 0 failed');
  }, 60_000);

  it('runs its binary from the package', async () => {
    expect(await node(['node_modules/render/dist/cli/main.js', '--version'])).toBe(`render ${pkg.version}\n`);
  });
});
