import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { MockServer } from '../../src/mock/index.js';
import { expectExit, makeProject, mockServer, readLock, render, type RunResult, takesOf } from '../apply/helpers.js';

/**
 * Issue 9.10: the API key goes nowhere. A server may echo it back (a signed output URL, an error text that
 * quotes the request): render must still never write it to the lockfile, the journal, a saved plan, or print it.
 * The echo is a small proxy in front of the local WaveSpeed-compatible server (whose code is not changed for it).
 */

const KEY = 'wsk-live-7f3a9c0e1b2d4f6a8c0e2b4d6f8a0c2e';

interface Echo {
  url: string;
  /** Prediction ids the proxy made look failed, with the key in their error text. */
  failed: Set<string>;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/**
 * A WaveSpeed-compatible server that puts the key everywhere it can: in every output URL (`?token=KEY`), in the
 * error of a failed task, in the message of a 500 that answers a submit it did create (prompt with "lost"), and
 * in the 400 refusing one (prompt with "refuse").
 */
async function keyEchoingServer(mock: MockServer): Promise<Echo> {
  const failed = new Set<string>();
  let base = '';
  const server: Server = createServer(async (req, res) => {
    const body = await readBody(req);
    const json = (req.headers['content-type'] ?? '').includes('json') && body.length > 0;
    const prompt = json ? String((JSON.parse(body.toString('utf8')) as { prompt?: unknown }).prompt ?? '') : '';
    if (/refuse/.test(prompt)) {
      res.writeHead(400, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ code: 400, message: `the key ${KEY} may not use this model`, data: null }));
    }
    const upstream = await fetch(`${mock.url}${req.url}`, {
      method: req.method,
      headers: {
        ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
        'content-type': req.headers['content-type'] ?? 'application/octet-stream',
      },
      body: req.method === 'GET' || req.method === 'HEAD' ? undefined : body,
    });
    const type = upstream.headers.get('content-type') ?? '';
    if (!type.includes('json')) {
      res.writeHead(upstream.status, { 'content-type': type });
      return res.end(Buffer.from(await upstream.arrayBuffer()));
    }
    const envelope = JSON.parse((await upstream.text()).split(mock.url).join(base)) as { code: number; data: unknown };
    const echo = (p: Record<string, unknown>) => {
      if (failed.has(String(p.id))) Object.assign(p, { status: 'failed', outputs: [], error: `5000: internal error (request signed with ${KEY})` });
      if (Array.isArray(p.outputs)) p.outputs = p.outputs.map((u) => `${String(u)}?token=${KEY}`);
    };
    const data = envelope.data as { items?: Record<string, unknown>[] } & Record<string, unknown>;
    if (data && typeof data === 'object') {
      if (Array.isArray(data.items)) for (const item of data.items) echo(item);
      else if ('id' in data) {
        if (/fail/.test(prompt)) failed.add(String(data.id));
        echo(data);
      }
    }
    if (/lost/.test(prompt)) {
      res.writeHead(500, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ code: 500, message: `upstream timeout for key ${KEY}`, data: null }));
    }
    res.writeHead(upstream.status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(envelope));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: base, failed };
}

/** Every byte under a folder, as text (files only). */
function everythingWritten(dir: string): string {
  let all = '';
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const abs = path.join(entry.parentPath, entry.name);
    if (statSync(abs).isFile()) all += `\n${abs}\n${readFileSync(abs, 'latin1')}`;
  }
  return all;
}

describe('the API key goes nowhere (issue 9.10)', () => {
  it('a base URL that carries the key is refused by plan and apply, without printing it', async () => {
    const p = makeProject({ shots: 1 });
    for (const base of [`http://127.0.0.1:9/?key=${KEY}`, `http://127.0.0.1:9/${KEY}/api`, `http://user:${KEY}@127.0.0.1:9`]) {
      for (const args of [
        ['plan', p.spec],
        ['apply', p.spec, '--yes'],
      ]) {
        const r = await render(args, { cwd: p.dir, env: { WAVESPEED_API_KEY: KEY, WAVESPEED_BASE_URL: base } });
        expectExit(r, 2);
        expect(r.stderr).toMatch(/^error: (WaveSpeed base URL ".*" contains the API key|WAVESPEED_BASE_URL must not carry credentials)/);
        expect(r.stdout + r.stderr, `${args[0]} with ${base.replace(KEY, 'KEY')}`).not.toContain(KEY);
      }
    }
  });

  it('a server that echoes the key in output URLs, error texts and refusals: no file render writes holds it, nor anything it prints', async () => {
    const mock = await mockServer({ apiKey: KEY });
    const echo = await keyEchoingServer(mock);
    const p = makeProject({ shots: 4 });
    p.shots[1]!.prompt = 'shot two: this submit is lost (answered 500)';
    p.shots[2]!.prompt = 'shot three: this task will fail';
    p.shots[3]!.prompt = 'shot four: the server will refuse it';
    p.writeSpec();
    // RENDER_DEBUG prints errors' causes too: they are redacted as well.
    const env = { WAVESPEED_API_KEY: KEY, WAVESPEED_BASE_URL: echo.url, RENDER_DEBUG: '1' };
    const run = (args: string[]) => render(args, { cwd: p.dir, env });
    const runs: RunResult[] = [];
    runs.push(await run(['plan', p.spec, '--out', p.abs('plan.json')]));
    runs.push(await run(['apply', p.spec, '--yes', '--json', '--poll-interval', '50ms', '--settle-after', '50ms']));
    runs.push(await run(['apply', p.spec, '--yes', '--poll-interval', '50ms', '--settle-after', '50ms']));
    runs.push(await run(['plan', p.spec, '--json', '--out', p.abs('plan.json')]));
    runs.push(await run(['plan', p.spec, '--diff']));
    runs.push(await run(['status', p.spec, '--json']));
    runs.push(await run(['status', p.spec, '--wide']));
    runs.push(await run(['takes', p.spec, '--json']));
    runs.push(await run(['takes', p.spec]));
    expect(runs.map((r) => r.code)).toEqual([0, 1, 1, 0, 0, 0, 0, 0, 0]);

    // The run really met every echo: a download through a URL with the key, a lost submit found again, a failed
    // task and a refusal, each recorded with its text.
    const printed = runs.map((r) => r.stdout + r.stderr).join('\n');
    expect(printed).toMatch(/downloaded|"type":"downloaded"/);
    expect(printed).toContain('the lost submit exists as');
    expect(printed).toContain('internal error (request signed with');
    expect(printed).toContain('may not use this model');
    const lock = readLock(p);
    expect(takesOf(lock, 'shot-01', echo.url)[0]!.outputs[0]!.url).toMatch(/\/files\/outputs\/[0-9a-f]{32}\.mp4\?token=\[REDACTED\]$/);
    expect(takesOf(lock, 'shot-02', echo.url)[0]).toMatchObject({ status: 'completed', settled_by: 'list' });
    expect(takesOf(lock, 'shot-03', echo.url).map((t) => t.status)).toEqual(['failed', 'failed']);

    expect(printed).not.toContain(KEY);
    const disk = everythingWritten(p.dir);
    expect(disk).toContain('prediction_id');
    expect(disk).toContain('"format"'); // the saved plan
    expect(disk).not.toContain(KEY);
    // shot-03 was sent twice: its task looked failed (the proxy's doing), so the second apply retried it, while the
    // mock itself had completed it; shot-04 never reached the mock (refused by the proxy). Nothing else repeats.
    expect(mock.stats()).toMatchObject({ submissions: 4, duplicateSubmissions: 1 });
  });
});
