#!/usr/bin/env node
import module from 'node:module';

// Node 22.1 and later keep the compiled code of every module loaded (in the OS temp folder; NODE_DISABLE_COMPILE_CACHE=1
// turns it off), so the next start compiles nothing. Node 20 has no such cache; this is a no-op there. A command
// runs from the bundle with a code cache of our own (cli/load-cli.ts, docs/ARCHITECTURE.md "Start-up"); this one
// serves the modules imported as they are. Everything else is imported after it, so that it applies to them.
(module as { enableCompileCache?: () => unknown }).enableCompileCache?.();
const { loadCli } = await import('./load-cli.js');
const cli = await loadCli(process.argv.slice(2), process.env);

/** The binary. The only place that sets the process exit code. */
const interruptHandlers = new Set<() => void>();
let interrupts = 0;
let terminated: number | undefined;
process.on('SIGINT', () => {
  interrupts++;
  // First Ctrl-C: commands that listen stop gracefully. Second (or nobody listening): exit now; everything
  // paid for is already durable in the journal, so a rerun resumes it.
  if (interruptHandlers.size === 0 || interrupts > 1) process.exit(130);
  for (const h of interruptHandlers) h();
});

// Terminated (a cancelled CI job, `timeout`, a closed terminal) while a command listens (an apply): the folder may
// be thrown away next, `.render/` with it, so what the run recorded must reach the lockfile first
// (docs/ARCHITECTURE.md "Money rules", rule 7). The command stops at once (no new submit; requests in flight are
// abandoned, their outcomes unknown, never resent) and writes the lockfile as it ends; one that takes too long is
// ended anyway. Installed only while a command listens: otherwise the default action ends even a process busy
// templating, which no handler could interrupt.
function terminate(number: number): void {
  terminated = 128 + number;
  interrupts = 2;
  for (const h of interruptHandlers) {
    h();
    h();
  }
  setTimeout(() => process.exit(128 + number), 5_000).unref();
}
const onTerm = () => terminate(15);
const onHup = () => terminate(1);
function listenForTermination(on: boolean): void {
  for (const [signal, handler] of [
    ['SIGTERM', onTerm],
    ['SIGHUP', onHup],
  ] as const) {
    if (on) process.on(signal, handler);
    else process.off(signal, handler);
  }
}

const code = await cli.runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
  onInterrupt(handler) {
    if (interruptHandlers.size === 0) listenForTermination(true);
    interruptHandlers.add(handler);
    return () => {
      interruptHandlers.delete(handler);
      if (interruptHandlers.size === 0) listenForTermination(false);
    };
  },
});
cli.saveCodeCache();
process.exitCode = terminated ?? code;
