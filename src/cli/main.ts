#!/usr/bin/env node
import { runCli } from './run.js';

/** The binary. The only place that sets the process exit code. */
const interruptHandlers = new Set<() => void>();
let interrupts = 0;
process.on('SIGINT', () => {
  interrupts++;
  // First Ctrl-C: commands that listen stop gracefully. Second (or nobody listening): exit now; everything
  // paid for is already durable in the journal, so a rerun resumes it.
  if (interruptHandlers.size === 0 || interrupts > 1) process.exit(130);
  for (const h of interruptHandlers) h();
});

const code = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
  onInterrupt(handler) {
    interruptHandlers.add(handler);
    return () => interruptHandlers.delete(handler);
  },
});
process.exitCode = code;
