import { lstatSync, readdirSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startMockServer } from '../../src/mock/index.js';
import { render } from '../helpers/cli.js';
import { makeWorkspace, SPEC_HEAD } from '../helpers/workspace.js';

describe('outputs never leave the output folder', () => {
  it.each([['../escape'], ['a/../../b'], ['/etc/passwd'], ['..'], ['.hidden'], ['x\\..\\y']])(
    'a shot id like %j is refused before anything runs',
    async (id) => {
      const ws = makeWorkspace();
      const spec = ws.spec(`${SPEC_HEAD}shots:\n  - { id: ${JSON.stringify(id)}, image: img/ok.png, prompt: "x" }\n`);
      const r = await render(['plan', spec]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/shots\[0\]\.id: must be 1 to 100 characters of A-Z a-z 0-9 \. _ -/);
    },
  );

  it('a symlink planted at an output path is replaced, and its target is never written', async () => {
    const server = await startMockServer({ completeAfterMs: 30, processingAfterMs: 5 });
    try {
      const ws = makeWorkspace();
      const spec = ws.spec(`${SPEC_HEAD}shots:\n  - { id: a, image: img/ok.png, prompt: "x" }\n`);
      const victim = ws.write('victim.txt', 'precious');
      const out = ws.path('renders/test');
      ws.write('renders/test/.keep', '');
      symlinkSync(victim, path.join(out, 'a.mp4'));
      symlinkSync(victim, path.join(out, 'a.mp4.download'));
      const r = await render(['apply', spec, '--yes', '--poll-interval', '20ms'], { WAVESPEED_API_KEY: server.apiKey, WAVESPEED_BASE_URL: server.url });
      expect(r.code).toBe(0);
      expect(lstatSync(path.join(out, 'a.mp4')).isSymbolicLink()).toBe(false);
      expect((await import('node:fs')).readFileSync(victim, 'utf8')).toBe('precious');
      // the planted link is moved aside or replaced, never followed
      for (const f of readdirSync(out)) if (lstatSync(path.join(out, f)).isSymbolicLink()) expect(readlinkSync(path.join(out, f))).toBe(victim);
    } finally {
      await server.close();
    }
  });
});

describe('templates cannot reach prototypes', () => {
  it.each([['{{constructor}}'], ['{{__proto__}}'], ['{{constructor.name}}'], ['{{lookup this "constructor"}}'], ['{{shot.constructor.constructor}}']])(
    '%s renders nothing from Object.prototype',
    async (expr) => {
      const ws = makeWorkspace();
      const spec = ws.spec(`${SPEC_HEAD}shots:\n  - { id: a, image: img/ok.png, prompt: 'x ${expr.replace(/'/g, "''")} y' }\n`);
      const r = await render(['validate', spec, '--json']);
      const text = r.stdout + r.stderr;
      expect(text).not.toMatch(/function|Object|\[native code\]/);
      if (r.code === 0) expect(JSON.parse(r.stdout).shots[0].request.prompt).toMatch(/^x\s+y$/);
      else expect(r.code).toBe(2);
    },
  );
});

describe('the local server', () => {
  it('binds to 127.0.0.1 by default and refuses requests without the key', async () => {
    const server = await startMockServer();
    try {
      expect(new URL(server.url).hostname).toBe('127.0.0.1');
      const res = await fetch(`${server.url}/api/v3/balance`);
      expect(res.status).toBe(401);
      const ok = await fetch(`${server.url}/api/v3/balance`, { headers: { authorization: `Bearer ${server.apiKey}` } });
      expect(ok.status).toBe(200);
    } finally {
      await server.close();
    }
  });
});

describe('bad input changes nothing', () => {
  it('an invalid spec leaves no lockfile, journal or output folder behind', async () => {
    const ws = makeWorkspace();
    const spec = ws.spec(`${SPEC_HEAD}shots:\n  - { id: a, image: img/ok.png, prompt: "x", duration: 99 }\n`);
    writeFileSync(ws.path('note.txt'), 'x');
    const before = readdirSync(ws.dir, { recursive: true }).sort();
    const r = await render(['apply', spec, '--yes', '--mock']);
    expect(r.code).toBe(2);
    expect(readdirSync(ws.dir, { recursive: true }).sort()).toEqual(before);
  });
});
