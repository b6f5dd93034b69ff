#!/usr/bin/env node
import module from 'node:module';

// Node 22.1 and later keep the compiled code of every module loaded (in the OS temp folder; NODE_DISABLE_COMPILE_CACHE=1
// turns it off), so the next start compiles nothing: most of a command's start-up is compiling zod, yaml and
// handlebars. Node 20 has no such cache; this is a no-op there (docs/ARCHITECTURE.md "Start-up"). Everything else is
// imported after it, so that it applies to them.
(module as { enableCompileCache?: () => unknown }).enableCompileCache?.();
const { runCli } = await import('./run.js');

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
