import { MOCK_FLAGS, mockOptionsFromFlags, startMockServer } from '../../mock/index.js';
import { findFfmpeg } from '../../util/ffmpeg.js';
import { defineCommand } from '../command.js';
import { EXIT } from '../exit-codes.js';

export const mockCommand = defineCommand({
  usage: 'render mock [--port N] [--seed N] [--error-rate RATE] [...]',
  description: `
Serves the WaveSpeed API routes render uses (submit, result, list, uploads, balance, price) on
127.0.0.1 and injects faults on demand. Every output is a real MP4: with ffmpeg (RENDER_FFMPEG, PATH or
the npm package @ffmpeg-installer/ffmpeg) an animatic of the request's own start image (a slow push-in,
to the end image when there is one) at the requested duration, small; else a fixed clip. Point render at it with
  WAVESPEED_BASE_URL=<the printed URL> WAVESPEED_API_KEY=mock-key render apply SPEC
Stats for tests and benchmarks: GET <url>/__mock/stats. Ctrl-C stops it.`,
  options: { ...MOCK_FLAGS, verbose: { type: 'boolean', description: 'log every request on stderr' } },
  positionals: [0, 0],
  async run({ io, options }) {
    const animatic = options.animatic ?? (options.output === undefined ? 'auto' : 'off');
    const ffmpeg = animatic === 'auto' ? findFfmpeg(io.env) : undefined;
    const log = options.verbose ? (line: string) => io.stderr.write(`${line}\n`) : undefined;
    const server = await startMockServer({ ...mockOptionsFromFlags(options), ffmpeg: ffmpeg?.path, log });
    io.stdout.write(`mock WaveSpeed server listening on ${server.url}\n`);
    io.stderr.write(
      ffmpeg
        ? `outputs: an animatic of each request (ffmpeg from ${ffmpeg.source})\n`
        : `outputs: a fixed clip${animatic === 'auto' ? ' (no ffmpeg found)' : ''}\n`,
    );
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
