import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Tests that spawn the CLI or a server on port 0 are I/O bound; two workers suit the 2-core machines.
    maxWorkers: 2,
  },
});
