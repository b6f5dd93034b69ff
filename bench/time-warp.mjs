/**
 * Time that runs RENDER_BENCH_TIME_SCALE times faster, so a scenario of minutes runs in seconds with every ratio
 * kept: loaded with `node --import` into a client process (render, or the SDK loop), and `warpedClock` gives the
 * local server in the bench process the same time. Both sides read one clock (from RENDER_BENCH_TIME_ORIGIN):
 * Date.now, `new Date()`, setTimeout/setInterval and node:timers/promises' setTimeout are scaled; a 250 ms poll
 * interval waits 250 ms of scenario time, a 60 s rate window lasts 60 s of it, and a Retry-After of 7 s is 7 s.
 * What is not scaled (CPU, the network round trip, fsync) only ever counts for more: figures err on the slow side.
 * Not a benchmark itself (no -bench suffix).
 */
import timers from 'node:timers';
import timersPromises from 'node:timers/promises';
import { syncBuiltinESMExports } from 'node:module';

const RealDate = Date;
const realNow = RealDate.now.bind(RealDate);
const realSetTimeout = globalThis.setTimeout;
const realSetInterval = globalThis.setInterval;
const realPromiseTimeout = timersPromises.setTimeout;

/** A MockClock (src/mock/types.ts) on warped time, for the server in the bench process. */
export function warpedClock(scale, origin) {
  return {
    now: () => origin + (realNow() - origin) * scale,
    setTimeout(fn, ms) {
      const t = realSetTimeout(fn, Math.max(0, ms) / scale);
      t.unref();
      return t;
    },
    clearTimeout: (t) => clearTimeout(t),
  };
}

function install(scale, origin) {
  const now = () => origin + (realNow() - origin) * scale;
  class WarpDate extends RealDate {
    constructor(...args) {
      if (args.length === 0) super(now());
      else super(...args);
    }
    static now() {
      return now();
    }
  }
  globalThis.Date = WarpDate;
  const scaled =
    (real) =>
    (fn, ms, ...rest) =>
      real(fn, Math.max(0, Number(ms) || 0) / scale, ...rest);
  globalThis.setTimeout = scaled(realSetTimeout);
  globalThis.setInterval = scaled(realSetInterval);
  timers.setTimeout = globalThis.setTimeout;
  timers.setInterval = globalThis.setInterval;
  timersPromises.setTimeout = (ms, value, options) => realPromiseTimeout(Math.max(0, Number(ms) || 0) / scale, value, options);
  syncBuiltinESMExports();
}

const scale = Number(process.env.RENDER_BENCH_TIME_SCALE ?? 1);
if (process.env.RENDER_BENCH_TIME_SCALE && scale !== 1) install(scale, Number(process.env.RENDER_BENCH_TIME_ORIGIN ?? realNow()));
