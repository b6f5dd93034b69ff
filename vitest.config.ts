import { defineConfig } from 'vitest/config';
import { testTmpdir } from './test/tmpdir.js';

const tmp = testTmpdir();
if (tmp) process.env.TMPDIR = tmp;

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
    // Temp folders on a tmpfs where there is one (test/tmpdir.ts).
    env: tmp ? { TMPDIR: tmp } : {},
    // Makes the run's PostgreSQL folder, and stops the server a state-database test started there once the run ends.
    globalSetup: ['test/helpers/postgres-run.ts'],
    // Most of the suite's time is waiting (a CLI run backing off a 429, settling a lost submit, a spawned binary),
    // not computing, and a worker now costs one import of src/, not one per file: on this 2-core machine, run back
    // to back at load 7-10, four workers took 116 s wall and 175 s CPU, three 191 s and 183 s, five 157 s and 218 s.
    maxWorkers: 4,
    // Worker threads, not forked processes: four processes each paid Node's start-up and faulted in their own
    // copies of the same pages; threads in one process ran the suite on ~10 CPU-s less (of ~150 on this machine).
    // Nothing here needs a process of its own: no test changes the working directory or the umask, and the tests
    // that kill or signal a process spawn the binary, through the launcher (test/helpers/launcher.ts: a spawn from
    // this one large process costs ~0.15 CPU-s in page faults). A thread's stack is 4 MB, a main thread's ~1 MB: see
    // the corpus's deep-nesting cases.
    pool: 'threads',
  },
});
