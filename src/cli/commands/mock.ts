import { MOCK_FLAGS, mockOptionsFromFlags, startMockServer } from '../../mock/index.js';
import { defineCommand } from '../command.js';
import { EXIT } from '../exit-codes.js';

export const mockCommand = defineCommand({
  usage: 'render mock [--port N] [--seed N] [--error-rate RATE] [...]',
  description: `
Serves the WaveSpeed API routes render uses (submit, result, list, uploads, balance, price) on
127.0.0.1 with a real MP4 as every output, and injects faults on demand. Point render at it with
  WAVESPEED_BASE_URL=<the printed URL> WAVESPEED_API_KEY=mock-key render apply SPEC
Stats for tests and benchmarks: GET <url>/__mock/stats. Ctrl-C stops it.`,
  options: { ...MOCK_FLAGS, verbose: { type: 'boolean', description: 'log every request on stderr' } },
  positionals: [0, 0],
  async run({ io, options }) {
    const server = await startMockServer({ ...mockOptionsFromFlags(options), log: options.verbose ? (line) => io.stderr.write(`${line}\n`) : undefined });
    io.stdout.write(`mock WaveSpeed server listening on ${server.url}\n`);
    io.stdout.write(`  export WAVESPEED_BASE_URL=${server.url} WAVESPEED_API_KEY=${server.apiKey}\n`);
    await new Promise<void>((resolve) => {
      const unhook = io.onInterrupt?.(() => {
        unhook?.();
        resolve();
      });
      if (!unhook) resolve();
    });
    await server.close();
    io.stderr.write('mock server stopped\n');
    return EXIT.ok;
  },
});
