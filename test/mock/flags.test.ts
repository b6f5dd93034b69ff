import { parseArgs } from 'node:util';
import { describe, expect, it } from 'vitest';
import { isRenderError } from '../../src/errors.js';
import { MOCK_FLAGS, mockOptionsFromFlags } from '../../src/mock/index.js';
import { render } from '../helpers/cli.js';

function fromArgv(argv: string[]) {
  const { values } = parseArgs({ args: argv, options: MOCK_FLAGS, strict: true });
  return mockOptionsFromFlags(values);
}

describe('render mock flags → MockServerOptions', () => {
  it('maps every flag, through node:util parseArgs with the MOCK_FLAGS table as is', () => {
    const argv = [
      '--port',
      '8787',
      '--host',
      '127.0.0.2',
      '--api-key',
      'k',
      '--balance',
      '12.50',
      '--processing-after',
      '1s',
      '--complete-after',
      '2s',
      '--max-concurrent',
      '2',
      '--refund-after',
      '5m',
      '--seed',
      '9',
      '--latency',
      '20ms..200ms',
      '--error-rate',
      '10%',
      '--error-statuses',
      '500,503',
      '--rate-limit-rate',
      '0.05',
      '--retry-after',
      '3',
      '--drop-rate',
      '0.01',
      '--lost-submit-rate',
      '0.02',
      '--task-fail-rate',
      '0.1',
      '--task-fail-codes',
      '1402,5000',
      '--slow-rate',
      '0.1',
      '--slow',
      '3s',
      '--fault-routes',
      'submit,result',
      '--output',
      'x.mp4',
      '--list-inputs',
      '--input-key',
      'inputs',
      '--store-media-urls',
      '--list-lag',
      '30s',
      '--clock-skew=-10m',
      '--price-factor',
      '1.1',
      '--discount',
      '0.8',
      '--render-time',
      '2s+1s±15%',
      '--submits-per-minute',
      '2',
    ];
    expect(fromArgv(argv)).toEqual({
      port: 8787,
      host: '127.0.0.2',
      apiKey: 'k',
      balanceUsd: 12.5,
      processingAfterMs: 1000,
      completeAfterMs: 2000,
      maxConcurrentTasks: 2,
      refundAfterMs: 300_000,
      seed: 9,
      outputFile: 'x.mp4',
      listInputs: true,
      inputKey: 'inputs',
      storeMediaUrls: true,
      listLagMs: 30_000,
      clockSkewMs: -600_000,
      priceFactor: 1.1,
      discountFactor: 0.8,
      renderTime: { baseMs: 2000, perSecondMs: 1000, jitter: 0.15 },
      submitsPerMinute: 2,
      faults: {
        latencyMs: [20, 200],
        errorRate: 0.1,
        errorStatuses: [500, 503],
        rateLimitRate: 0.05,
        retryAfterSeconds: 3,
        dropRate: 0.01,
        lostSubmitRate: 0.02,
        taskFailRate: 0.1,
        taskFailCodes: [1402, 5000],
        slowRate: 0.1,
        slowMs: 3000,
        routes: ['submit', 'result'],
      },
    });
  });

  it('gives empty options (all defaults) for no flags, and ignores keys that are not mock flags', () => {
    expect(mockOptionsFromFlags({})).toEqual({});
    expect(mockOptionsFromFlags({ json: true, verbose: undefined, latency: '50ms' })).toEqual({ faults: { latencyMs: 50 } });
  });

  it.each([
    ['10m', 600_000],
    ['+90s', 90_000],
    ['-1h', -3_600_000],
    ['0', 0],
  ])('reads --clock-skew %s as %i ms', (text, ms) => {
    expect(mockOptionsFromFlags({ 'clock-skew': text })).toEqual({ clockSkewMs: ms });
  });

  it.each([
    ['2s+1s', { baseMs: 2000, perSecondMs: 1000, jitter: 0 }],
    ['500ms+250ms±0.1', { baseMs: 500, perSecondMs: 250, jitter: 0.1 }],
    ['1m + 10s +-20%', { baseMs: 60_000, perSecondMs: 10_000, jitter: 0.2 }],
    ['0+2s+/-5%', { baseMs: 0, perSecondMs: 2000, jitter: 0.05 }],
  ])('reads --render-time %s', (text, renderTime) => {
    expect(mockOptionsFromFlags({ 'render-time': text })).toEqual({ renderTime });
  });

  it.each([
    [{ port: '70000' }, '--port must be an integer from 0 to 65535, got "70000"'],
    [{ port: 'abc' }, '--port must be an integer from 0 to 65535, got "abc"'],
    [{ 'error-rate': '1.5' }, '--error-rate must be a rate from 0 to 1 (or 0% to 100%), got "1.5"'],
    [{ 'drop-rate': '150%' }, '--drop-rate must be a rate from 0 to 1 (or 0% to 100%), got "150%"'],
    [{ latency: 'fast' }, '--latency must be a duration such as 250ms, 2s or 1m, got "fast"'],
    [{ latency: '200ms..20ms' }, '--latency must be a duration or a range MIN..MAX, got "200ms..20ms"'],
    [{ balance: '-5' }, '--balance must be a dollar amount such as 100 or 12.50, got "-5"'],
    [{ 'error-statuses': '500,abc' }, '--error-statuses must be an integer from 400 to 599, got "abc"'],
    [{ 'fault-routes': 'submit,poll' }, '--fault-routes must be a list of submit, result, list, upload, download, balance, price, billing, got "submit,poll"'],
    [{ 'max-concurrent': '0' }, '--max-concurrent must be an integer from 1 to 1000000, got "0"'],
    [{ seed: true }, '--seed needs a value (N)'],
    [{ 'list-inputs': 'yes' }, '--list-inputs takes no value'],
    [{ 'input-key': 'body', 'list-inputs': true }, '--input-key must be "input" or "inputs", got "body"'],
    [{ 'store-media-urls': true }, 'mock server: inputKey and storeMediaUrls need listInputs'],
    [{ 'list-lag': 'soon' }, '--list-lag must be a duration such as 250ms, 2s or 1m, got "soon"'],
    [{ 'clock-skew': '10 minutes' }, '--clock-skew must be a duration such as 10m or -10m (write --clock-skew=-10m), got "10 minutes"'],
    [{ 'price-factor': '0' }, '--price-factor must be a number above 0 and at most 100, e.g. 1.1, got "0"'],
    [{ 'price-factor': '10%' }, '--price-factor must be a number above 0 and at most 100, e.g. 1.1, got "10%"'],
    [{ discount: '1.5' }, '--discount must be a number above 0 and at most 1, e.g. 0.8, got "1.5"'],
    [{ 'render-time': '2s' }, '--render-time must be BASE+PER_SECOND[±JITTER], e.g. 2s+1s±15% or 2s+1s+-0.15, got "2s"'],
    [
      { 'render-time': '2s+1s±100%' },
      '--render-time must be BASE+PER_SECOND[±JITTER], e.g. 2s+1s±15% or 2s+1s+-0.15, with a jitter below 100%, got "2s+1s±100%"',
    ],
    [{ 'submits-per-minute': '0' }, '--submits-per-minute must be an integer from 1 to 1000000, got "0"'],
  ])('refuses %j with a USAGE error', (values, message) => {
    let caught: unknown;
    try {
      mockOptionsFromFlags(values);
    } catch (err) {
      caught = err;
    }
    expect(isRenderError(caught, 'USAGE')).toBe(true);
    expect((caught as Error).message).toBe(message);
  });

  it('lists every flag in `render mock --help`, each with a description', async () => {
    const { code, stdout, stderr } = await render(['mock', '--help']);
    const help = stdout + stderr;
    expect(code).toBe(0);
    const lines = help.split('\n').map((l) => l.trim());
    for (const [name, flag] of Object.entries(MOCK_FLAGS)) {
      const label = `--${name}${flag.type === 'string' ? ` ${flag.value}` : ''}`;
      const line = lines.find((l) => l.startsWith(`${label} `));
      expect(line, label).toBeDefined();
      expect(line?.endsWith(` ${flag.description}`), label).toBe(true);
    }
  });
});
