import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockServer, type MockServer } from '../../src/mock/index.js';
import { render } from '../helpers/cli.js';
import { makeWorkspace, SPEC_HEAD } from '../helpers/workspace.js';

const KEY = 'ws-live-0123456789abcdefSECRET';

let server: MockServer;
beforeAll(async () => {
  server = await startMockServer({ apiKey: KEY, completeAfterMs: 50, processingAfterMs: 10 });
});
afterAll(async () => server.close());

/** Every byte a run left on disk, as text. */
function everythingWritten(dir: string): string {
  let all = '';
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const abs = path.join(entry.parentPath, entry.name);
    if (statSync(abs).isFile()) all += `\n${abs}\n${readFileSync(abs, 'latin1')}`;
  }
  return all;
}

describe('the API key never reaches any output', () => {
  it('is absent from stdout, stderr, the lockfile, the journal, a saved plan and the outputs of a full run', async () => {
    const ws = makeWorkspace();
    ws.spec(
      `${SPEC_HEAD}shots:\n  - { id: a, image: img/ok.png, prompt: "the key is not {{key}}" }\n  - { id: b, image: img/ok.png, prompt: "second" }\nvars: { key: nope }\n`,
    );
    const env = { WAVESPEED_API_KEY: KEY, WAVESPEED_BASE_URL: server.url };
    const spec = ws.path('spec.yaml');
    const runs = [
      await render(['plan', spec, '--json', '--out', ws.path('plan.json')], env),
      await render(['apply', ws.path('plan.json'), '--yes', '--json', '--poll-interval', '20ms'], env),
      await render(['status', spec, '--json'], env),
      await render(['apply', spec, '--yes', '--poll-interval', '20ms'], env),
    ];
    expect(runs.map((r) => r.code)).toEqual([0, 0, 0, 0]);
    const printed = runs.map((r) => r.stdout + r.stderr).join('\n');
    expect(printed).toContain('"type":"summary"'); // the run really happened
    expect(printed).not.toContain(KEY);
    const disk = everythingWritten(ws.dir);
    expect(disk).toContain('prediction_id');
    expect(disk).not.toContain(KEY);
  });

  it('is absent from errors, even with RENDER_DEBUG causes, when the server refuses it', async () => {
    const ws = makeWorkspace();
    const spec = ws.spec(`${SPEC_HEAD}shots:\n  - { id: a, image: img/ok.png, prompt: "x" }\n`);
    const wrong = `${KEY}-revoked`;
    const r = await render(['apply', spec, '--yes'], { WAVESPEED_API_KEY: wrong, WAVESPEED_BASE_URL: server.url, RENDER_DEBUG: '1' });
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/401|API key|WAVESPEED_API_KEY/);
    expect(r.stdout + r.stderr).not.toContain(wrong);
    expect(everythingWritten(ws.dir)).not.toContain(wrong);
  });

  it('a base URL that carries the key is refused without printing it', async () => {
    const ws = makeWorkspace();
    const spec = ws.spec(`${SPEC_HEAD}shots:\n  - { id: a, image: img/ok.png, prompt: "x" }\n`);
    const r = await render(['apply', spec, '--yes'], { WAVESPEED_API_KEY: KEY, WAVESPEED_BASE_URL: `${server.url}/?key=${KEY}` });
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).not.toContain(KEY);
  });
});
