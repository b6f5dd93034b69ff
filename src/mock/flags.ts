import { RenderError } from '../errors.js';
import { parseUsd } from '../money.js';
import { parseDuration } from '../util/duration.js';
import { normalizeFaults } from './faults.js';
import { resolveMockOptions } from './server.js';
import { FAULT_ROUTES, type FaultOptions, type FaultRoute, type MockServerOptions, type RenderTime } from './types.js';

/**
 * The flags of `render mock`, as a table the CLI hands to node:util parseArgs (it reads `type` and ignores the
 * rest) and prints in --help (`value`, `description`). mockOptionsFromFlags turns the parsed values into options.
 */
export type MockFlag = { type: 'string'; value: string; description: string } | { type: 'boolean'; description: string };

export const MOCK_FLAGS = {
  port: { type: 'string', value: 'N', description: 'port to listen on; 0 = any free port (default 0)' },
  host: { type: 'string', value: 'HOST', description: 'interface to bind (default 127.0.0.1; 0.0.0.0 exposes it to the network)' },
  'api-key': { type: 'string', value: 'KEY', description: 'bearer key the server requires (default mock-key)' },
  balance: { type: 'string', value: 'USD', description: 'starting account balance in dollars (default 10000)' },
  'processing-after': { type: 'string', value: 'DURATION', description: 'a task turns processing this long after it starts (default 50ms)' },
  'complete-after': { type: 'string', value: 'DURATION', description: 'a task ends this long after it starts (default 300ms; --render-time replaces it)' },
  'max-concurrent': { type: 'string', value: 'N', description: 'running tasks allowed; more queue as created (default unlimited)' },
  'refund-after': { type: 'string', value: 'DURATION', description: 'failed tasks are refunded after this delay (default 0)' },
  seed: { type: 'string', value: 'N', description: 'seed of the fault generator: same seed, same faults (default 1)' },
  latency: { type: 'string', value: 'DURATION[..DURATION]', description: 'delay every request, fixed or uniform in a range, e.g. 20ms..200ms' },
  'error-rate': { type: 'string', value: 'RATE', description: 'share of requests answered with a 5xx, e.g. 0.1 or 10%' },
  'error-statuses': { type: 'string', value: 'LIST', description: 'statuses for --error-rate (default 500,502,503)' },
  'rate-limit-rate': { type: 'string', value: 'RATE', description: 'share of requests answered 429' },
  'retry-after': { type: 'string', value: 'SECONDS', description: 'Retry-After of injected 429s; 0 sends none (default 1)' },
  'drop-rate': { type: 'string', value: 'RATE', description: 'share of requests whose connection is cut without an answer' },
  'lost-submit-rate': { type: 'string', value: 'RATE', description: 'share of submits created and charged, then cut before the answer' },
  'task-fail-rate': { type: 'string', value: 'RATE', description: 'share of tasks that end failed (and are refunded)' },
  'task-fail-codes': { type: 'string', value: 'LIST', description: 'task error codes for --task-fail-rate (default 5000)' },
  'slow-rate': { type: 'string', value: 'RATE', description: 'share of requests answered --slow late' },
  slow: { type: 'string', value: 'DURATION', description: 'extra delay of a slow answer (default 2s)' },
  'fault-routes': { type: 'string', value: 'LIST', description: `routes faults apply to: ${FAULT_ROUTES.join(',')} (default all)` },
  output: { type: 'string', value: 'FILE', description: 'video served as every output (default fixtures/mock-output.mp4)' },
  'list-inputs': { type: 'boolean', description: 'show the submitted body on list and result items (default: absent, as in the docs)' },
  'input-key': { type: 'string', value: 'input|inputs', description: 'key of the shown body with --list-inputs (default input)' },
  'store-media-urls': { type: 'boolean', description: "with --list-inputs, show image/end_image as the server's own stored copy" },
  'list-lag': { type: 'string', value: 'DURATION', description: 'a prediction shows in the list only this long after creation (default 0)' },
  'clock-skew': { type: 'string', value: 'DURATION', description: 'server clock ahead (10m) or behind (--clock-skew=-10m): created_at, Date, filters' },
  'price-factor': { type: 'string', value: 'FACTOR', description: 'real price = price table × FACTOR, quoted and charged (default 1)' },
  discount: { type: 'string', value: 'FACTOR', description: 'discounted_price = price × FACTOR (0 to 1) in quotes; charges stay at price (default 1)' },
  'render-time': {
    type: 'string',
    value: 'BASE+PER_S[±J%]',
    description: 'a task runs BASE + PER_S × duration ± J%, e.g. 2s+1s±15% (default: --complete-after)',
  },
  'submits-per-minute': { type: 'string', value: 'N', description: 'accepted submits allowed in any 60 s; more get 429 + Retry-After (default unlimited)' },
  animatic: {
    type: 'string',
    value: 'auto|off',
    description: 'each output a short video of its own request, made with ffmpeg (default auto: when ffmpeg is found and no --output)',
  },
} as const satisfies Record<string, MockFlag>;

export type MockFlagName = keyof typeof MOCK_FLAGS;

function bad(flag: string, expected: string, got: string): RenderError {
  return new RenderError('USAGE', `--${flag} must be ${expected}, got "${got}"`, { hint: 'Run `render mock --help` for the flags.' });
}

function parseInteger(flag: string, text: string, min: number, max: number): number {
  const n = /^\s*-?\d+\s*$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw bad(flag, `an integer from ${min} to ${max}`, text);
  return n;
}

function parseRate(flag: string, text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*(%?)\s*$/.exec(text);
  const n = m ? Number(m[1]) / (m[2] ? 100 : 1) : NaN;
  if (!(n >= 0 && n <= 1)) throw bad(flag, 'a rate from 0 to 1 (or 0% to 100%)', text);
  return n;
}

function parseFactor(flag: string, text: string, max: number): number {
  const n = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*$/.test(text) ? Number(text) : NaN;
  if (!(n > 0 && n <= max)) throw bad(flag, `a number above 0 and at most ${max}, e.g. ${max === 1 ? '0.8' : '1.1'}`, text);
  return n;
}

function parseSignedMs(flag: string, text: string): number {
  const m = /^\s*([+-]?)(.*)$/.exec(text);
  const ms = parseDuration(m?.[2] ?? '');
  if (ms === null) throw bad(flag, 'a duration such as 10m or -10m (write --clock-skew=-10m)', text);
  return m?.[1] === '-' ? -ms : ms;
}

const DURATION_TEXT = '\\d+(?:\\.\\d+)?\\s*(?:ms|s|m|h)?';
const RENDER_TIME = new RegExp(`^\\s*(${DURATION_TEXT})\\s*\\+\\s*(${DURATION_TEXT})\\s*(?:(?:±|\\+-|\\+/-)\\s*(\\S+?))?\\s*$`);

function parseRenderTime(flag: string, text: string): RenderTime {
  const m = RENDER_TIME.exec(text);
  const expected = 'BASE+PER_SECOND[±JITTER], e.g. 2s+1s±15% or 2s+1s+-0.15';
  if (!m) throw bad(flag, expected, text);
  const jitter = m[3] === undefined ? 0 : parseRate(flag, m[3]);
  if (jitter >= 1) throw bad(flag, `${expected}, with a jitter below 100%`, text);
  return { baseMs: parseMs(flag, m[1] ?? ''), perSecondMs: parseMs(flag, m[2] ?? ''), jitter };
}

function parseMs(flag: string, text: string): number {
  const ms = parseDuration(text);
  if (ms === null) throw bad(flag, 'a duration such as 250ms, 2s or 1m', text);
  return ms;
}

function parseLatency(flag: string, text: string): number | [number, number] {
  const parts = text.split(/\.\.|,/);
  if (parts.length === 1) return parseMs(flag, text);
  const [a, b] = parts.map((p) => parseMs(flag, p));
  if (parts.length !== 2 || a === undefined || b === undefined || a > b) throw bad(flag, 'a duration or a range MIN..MAX', text);
  return [a, b];
}

function parseList(flag: string, text: string, min: number, max: number): number[] {
  return text.split(',').map((part) => parseInteger(flag, part, min, max));
}

function parseRoutes(flag: string, text: string): FaultRoute[] {
  const routes = text.split(',').map((r) => r.trim());
  const unknown = routes.filter((r) => !(FAULT_ROUTES as readonly string[]).includes(r));
  if (unknown.length > 0) throw bad(flag, `a list of ${FAULT_ROUTES.join(', ')}`, text);
  return routes as FaultRoute[];
}

type Setter = (text: string, o: MockServerOptions, f: FaultOptions) => void;
type Switch = (o: MockServerOptions) => void;

type ValueFlag = { [K in MockFlagName]: (typeof MOCK_FLAGS)[K]['type'] extends 'string' ? K : never }[MockFlagName];
type SwitchFlag = Exclude<MockFlagName, ValueFlag>;

const SWITCHES: Record<SwitchFlag, Switch> = {
  'list-inputs': (o) => (o.listInputs = true),
  'store-media-urls': (o) => (o.storeMediaUrls = true),
};

const SETTERS: Record<ValueFlag, Setter> = {
  port: (t, o) => (o.port = parseInteger('port', t, 0, 65535)),
  host: (t, o) => (o.host = t),
  'api-key': (t, o) => (o.apiKey = t),
  balance: (t, o) => {
    const cents = parseUsd(t);
    if (cents === null) throw bad('balance', 'a dollar amount such as 100 or 12.50', t);
    o.balanceUsd = cents / 100;
  },
  'processing-after': (t, o) => (o.processingAfterMs = parseMs('processing-after', t)),
  'complete-after': (t, o) => (o.completeAfterMs = parseMs('complete-after', t)),
  'max-concurrent': (t, o) => (o.maxConcurrentTasks = parseInteger('max-concurrent', t, 1, 1_000_000)),
  'refund-after': (t, o) => (o.refundAfterMs = parseMs('refund-after', t)),
  seed: (t, o) => (o.seed = parseInteger('seed', t, -(2 ** 31), 2 ** 32 - 1)),
  latency: (t, _o, f) => (f.latencyMs = parseLatency('latency', t)),
  'error-rate': (t, _o, f) => (f.errorRate = parseRate('error-rate', t)),
  'error-statuses': (t, _o, f) => (f.errorStatuses = parseList('error-statuses', t, 400, 599)),
  'rate-limit-rate': (t, _o, f) => (f.rateLimitRate = parseRate('rate-limit-rate', t)),
  'retry-after': (t, _o, f) => (f.retryAfterSeconds = parseInteger('retry-after', t, 0, 86_400)),
  'drop-rate': (t, _o, f) => (f.dropRate = parseRate('drop-rate', t)),
  'lost-submit-rate': (t, _o, f) => (f.lostSubmitRate = parseRate('lost-submit-rate', t)),
  'task-fail-rate': (t, _o, f) => (f.taskFailRate = parseRate('task-fail-rate', t)),
  'task-fail-codes': (t, _o, f) => (f.taskFailCodes = parseList('task-fail-codes', t, 1000, 9999)),
  'slow-rate': (t, _o, f) => (f.slowRate = parseRate('slow-rate', t)),
  slow: (t, _o, f) => (f.slowMs = parseMs('slow', t)),
  'fault-routes': (t, _o, f) => (f.routes = parseRoutes('fault-routes', t)),
  output: (t, o) => (o.outputFile = t),
  'input-key': (t, o) => {
    if (t !== 'input' && t !== 'inputs') throw bad('input-key', '"input" or "inputs"', t);
    o.inputKey = t;
  },
  'list-lag': (t, o) => (o.listLagMs = parseMs('list-lag', t)),
  'clock-skew': (t, o) => (o.clockSkewMs = parseSignedMs('clock-skew', t)),
  'price-factor': (t, o) => (o.priceFactor = parseFactor('price-factor', t, 100)),
  discount: (t, o) => (o.discountFactor = parseFactor('discount', t, 1)),
  'render-time': (t, o) => (o.renderTime = parseRenderTime('render-time', t)),
  'submits-per-minute': (t, o) => (o.submitsPerMinute = parseInteger('submits-per-minute', t, 1, 1_000_000)),
  // Only checked here: the CLI turns `auto` into the ffmpeg it finds (options.ffmpeg), as it knows the environment.
  animatic: (t) => {
    if (t !== 'auto' && t !== 'off') throw bad('animatic', 'auto or off', t);
  },
};

/**
 * Parsed `render mock` flags → MockServerOptions. Keys that are not mock flags (the CLI's global ones) are
 * ignored; a bad value throws RenderError('USAGE') naming the flag. `log` is the CLI's to set.
 */
export function mockOptionsFromFlags(values: Record<string, string | boolean | undefined>): MockServerOptions {
  const options: MockServerOptions = {};
  const faults: FaultOptions = {};
  for (const [name, setter] of Object.entries(SETTERS)) {
    const value = values[name];
    if (value === undefined) continue;
    if (typeof value !== 'string') throw new RenderError('USAGE', `--${name} needs a value (${MOCK_FLAGS[name as ValueFlag].value})`);
    setter(value, options, faults);
  }
  for (const [name, turnOn] of Object.entries(SWITCHES)) {
    const value = values[name];
    if (value === undefined || value === false) continue;
    if (value !== true) throw new RenderError('USAGE', `--${name} takes no value`);
    turnOn(options);
  }
  if (Object.keys(faults).length > 0) {
    normalizeFaults(faults); // validates the combination (e.g. a latency range)
    options.faults = faults;
  }
  resolveMockOptions(options); // cross-field checks, same errors as startMockServer would throw
  return options;
}
