import type { OutputStream } from './output.js';

/**
 * Progress at scale (docs/ARCHITECTURE.md "Progress at scale"): a run of 10,000 shots emits some 50,000 events, and
 * a write or a redraw for each would cost the run itself. Lines are gathered and written at most every
 * `intervalMs` in one write (in order; `flush` writes what is pending at once), and a redraw asked for many times
 * runs at most once per interval.
 */
const PROGRESS_INTERVAL_MS = 100;

export interface LineBatch {
  push(line: string): void;
  /** Write what is pending now (before anything else goes to the stream, and at the end). */
  flush(): void;
}

export function batchLines(stream: OutputStream, intervalMs = PROGRESS_INTERVAL_MS): LineBatch {
  let pending: string[] = [];
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    clearTimeout(timer);
    timer = undefined;
    if (pending.length === 0) return;
    const text = pending.join('');
    pending = [];
    stream.write(text);
  };
  return {
    push(line) {
      pending.push(line);
      if (!timer) {
        timer = setTimeout(flush, intervalMs);
        timer.unref();
      }
    },
    flush,
  };
}

export interface Throttle {
  /** Run soon: at once if the last run was an interval ago, else once at the end of the interval. */
  request(): void;
  /** Run now (and drop a pending run). */
  now(): void;
  cancel(): void;
}

export function throttle(fn: () => void, intervalMs = PROGRESS_INTERVAL_MS): Throttle {
  let last = -Infinity;
  let timer: NodeJS.Timeout | undefined;
  const run = () => {
    clearTimeout(timer);
    timer = undefined;
    last = Date.now();
    fn();
  };
  return {
    request() {
      if (timer) return;
      const wait = last + intervalMs - Date.now();
      if (wait <= 0) return run();
      timer = setTimeout(run, wait);
      timer.unref();
    },
    now: run,
    cancel() {
      clearTimeout(timer);
      timer = undefined;
    },
  };
}
