import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Test files share their worker's modules: each worker imports src/ (zod, undici, yaml...) once, not once per
    // file, which was half of the suite's CPU. Safe because no test mocks a module or changes process-wide state
    // without putting it back (nock is taken out after each file: test/provider/helpers.ts), and hooks every file
    // needs are registered by the setup file, not once by a shared helper module.
    isolate: false,
    setupFiles: ['test/setup.ts'],
    // Most of the suite's time is waiting (a CLI run backing off a 429, settling a lost submit, a spawned binary),
    // not computing: on a 2-core machine three workers finished the suite in 59 s where two took 71 s (run back to
    // back), and four gained nothing more for 15% more CPU.
    maxWorkers: 3,
  },
});
