import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Most of the suite's time is waiting (a CLI run backing off a 429, settling a lost submit, a spawned binary),
    // not computing: on a 2-core machine three workers finished the suite in 59 s where two took 71 s (run back to
    // back), and four gained nothing more for 15% more CPU.
    maxWorkers: 3,
  },
});
