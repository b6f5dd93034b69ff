import { createServer, type AddressInfo } from 'node:net';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { CLI as BIN, ensureBuilt } from '../helpers/build.js';
import { render } from '../helpers/cli.js';
import { launch } from '../helpers/launcher.js';

describe('render mock (the built binary: Ctrl-C is a real SIGINT)', () => {
  beforeAll(ensureBuilt, 180_000);

  it('prints where it listens and how to point render at it, serves the API, and stops cleanly on Ctrl-C', async () => {
    const child = launch(process.execPath, [BIN, 'mock', '--port', '0', '--seed', '7', '--api-key', 'k-123']);
    onTestFinished(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
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
});

describe('render mock', () => {
  it('refuses a bad flag value with exit 2 and says which', async () => {
    const { code, stdout, stderr } = await render(['mock', '--error-rate', '2']);
    expect({ code, stdout }).toEqual({ code: 2, stdout: '' });
    expect(stderr).toContain('--error-rate must be a rate from 0 to 1');
  });

  it('a port in use is a clear error, exit 2, naming the port and what to do', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    onTestFinished(() => new Promise<void>((resolve) => taken.close(() => resolve())));
    const port = (taken.address() as AddressInfo).port;
    const { code, stdout, stderr } = await render(['mock', '--port', String(port)]);
    expect({ code, stdout }).toEqual({ code: 2, stdout: '' });
    expect(stderr).toBe(
      `error: port ${port} on 127.0.0.1 is already in use by another program\nhint: pick another with --port N, or --port 0 for any free port\n`,
    );
  });
});
