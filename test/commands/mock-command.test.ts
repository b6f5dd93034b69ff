import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const BIN = new URL('../../dist/cli/main.js', import.meta.url).pathname;

describe.runIf(existsSync(BIN))('render mock (the built binary)', () => {
  it('prints where it listens and how to point render at it, serves the API, and stops cleanly on Ctrl-C', async () => {
    const child = spawn(process.execPath, [BIN, 'mock', '--port', '0', '--seed', '7', '--api-key', 'k-123'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (d) => {
        out += d;
        const m = /listening on (http:\/\/127\.0\.0\.1:\d+)\n.*WAVESPEED_API_KEY.*\n/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.on('exit', () => reject(new Error(`exited early: ${out}${err}`)));
    });
    expect(out).toContain(`export WAVESPEED_BASE_URL=${url} WAVESPEED_API_KEY=k-123`);
    expect((await fetch(`${url}/api/v3/balance`)).status).toBe(401);
    const ok = await fetch(`${url}/api/v3/balance`, { headers: { authorization: 'Bearer k-123' } });
    expect(((await ok.json()) as { data: { balance: number } }).data.balance).toBe(10000);
    const code = await new Promise<number | null>((resolve) => {
      child.on('exit', (c) => resolve(c));
      child.kill('SIGINT');
    });
    expect(code).toBe(0);
    expect(err).toContain('mock server stopped');
  });

  it('refuses a bad flag value with exit 2 and says which', async () => {
    const child = spawn(process.execPath, [BIN, 'mock', '--error-rate', '2'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(2);
    expect(err).toContain('--error-rate must be a rate from 0 to 1');
  });
});
