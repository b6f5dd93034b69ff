import { type ChildProcess, fork } from 'node:child_process';
import { EventEmitter } from 'node:events';
import path from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';

/**
 * Processes the tests start, started by a small helper process instead of by the test worker itself.
 *
 * The workers are threads of one process of ~0.5-1.2 GB (vitest.config.ts `pool: 'threads'`). On Linux, Node
 * spawns with fork(): every spawn marks that whole memory copy-on-write, and each page a thread writes next costs a
 * fault; on this project's virtual machines such a fault costs ~20 µs, so one spawn from the test process cost
 * ~0.15 CPU-s (100 extra spawns of /bin/true during the suite: +15 CPU-s in the vitest process; docs/ARCHITECTURE.md
 * "Conventions"). The launcher (launcher-process.mjs, one per worker, started on first use) is ~50 MB and writes
 * little, so its forks are cheap. What a test sees is what `spawn` gives: a pid, stdout and stderr streams, stdin
 * when asked for, `kill`, and `close` with the exit code or signal.
 */

const SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'launcher-process.mjs');

export interface LaunchOptions {
  cwd?: string;
  /** The whole environment of the process (default: this worker's). */
  env?: NodeJS.ProcessEnv;
  /** Give the process a stdin pipe (`launched.stdin`); otherwise its stdin is /dev/null. */
  stdin?: boolean;
}

type FromLauncher =
  | { t: 'spawned'; id: number; pid: number }
  | { t: 'error'; id: number; message: string; code?: string }
  | { t: 'data'; id: number; fd: 1 | 2; data: Uint8Array }
  | { t: 'close'; id: number; code: number | null; signal: NodeJS.Signals | null };

/** A process started by the launcher: the part of ChildProcess the tests use. */
export class Launched extends EventEmitter {
  pid: number | undefined;
  exitCode: number | null = null;
  signalCode: NodeJS.Signals | null = null;
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
  readonly stdin: Writable | null;
  /** Resolves with the exit code and signal once the process ended and its output was read. */
  readonly closed: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private ended = false;

  constructor(
    private readonly id: number,
    private readonly channel: ChildProcess,
    withStdin: boolean,
  ) {
    super();
    this.stdin = withStdin
      ? new Writable({
          write: (chunk: Buffer, _enc, done) => {
            channel.send({ t: 'stdin', id, data: chunk }, done);
          },
          final: (done) => {
            channel.send({ t: 'stdin-end', id }, done);
          },
        })
      : null;
    this.closed = new Promise((resolve) => this.once('close', (code, signal) => resolve({ code, signal })));
  }

  /**
   * Sends `signal` through the launcher, which signals its ChildProcess handle: never a pid the launcher already
   * reaped (and the system may have given to another process), never before the spawn succeeded.
   */
  kill(signal: NodeJS.Signals = 'SIGTERM'): boolean {
    if (this.ended || !this.channel.connected) return false;
    this.channel.send({ t: 'kill', id: this.id, signal });
    return true;
  }

  /** @internal */
  receive(m: FromLauncher): void {
    if (m.t === 'spawned') {
      this.pid = m.pid;
      this.emit('spawn');
    } else if (m.t === 'data') (m.fd === 1 ? this.stdout : this.stderr).write(Buffer.from(m.data));
    else if (m.t === 'error') {
      const err = Object.assign(new Error(m.message), { code: m.code });
      this.emit('error', err);
    } else if (!this.ended) {
      this.ended = true;
      this.exitCode = m.code;
      this.signalCode = m.signal;
      this.stdout.end();
      this.stderr.end();
      this.emit('exit', m.code, m.signal);
      this.emit('close', m.code, m.signal);
    }
  }
}

let launcher: ChildProcess | undefined;
let nextId = 0;
const running = new Map<number, Launched>();

function channel(): ChildProcess {
  if (launcher?.connected) return launcher;
  const child = fork(SCRIPT, [], { execArgv: [], serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  child.on('message', (m: FromLauncher) => {
    const p = running.get(m.id);
    if (!p) return;
    // Every process ends with close, also one that could not start (ENOENT...: error, then close -2, as spawn does).
    if (m.t === 'close') {
      running.delete(m.id);
      if (running.size === 0) unref(child); // the worker may end while the launcher waits for the next test
    }
    p.receive(m);
  });
  child.on('exit', () => {
    if (launcher === child) launcher = undefined;
    const lost = [...running];
    running.clear();
    for (const [id, p] of lost) {
      if (p.listenerCount('error') > 0) p.receive({ t: 'error', id, message: 'the launcher process exited' });
      p.receive({ t: 'close', id, code: null, signal: null });
    }
  });
  unref(child);
  launcher = child;
  return child;
}

/** The process handle and the IPC channel: ChildProcess.unref() alone leaves the channel holding the event loop. */
function unref(child: ChildProcess): void {
  child.unref();
  child.channel?.unref();
}

/** `spawn(file, args)` from the launcher's process. */
export function launch(file: string, args: readonly string[], o: LaunchOptions = {}): Launched {
  const ch = channel();
  const id = ++nextId;
  const p = new Launched(id, ch, o.stdin === true);
  running.set(id, p);
  ch.ref();
  ch.channel?.ref();
  ch.send({ t: 'spawn', id, file, args, cwd: o.cwd ?? process.cwd(), env: o.env ?? process.env, stdin: o.stdin === true });
  return p;
}

/** How a process ended, and what it printed (also what an in-process run of the CLI gives: test/apply/helpers.ts). */
export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `file args` to its end (as spawnSync does, without blocking the worker), with `input` on its stdin. */
export async function launchOutput(file: string, args: readonly string[], o: LaunchOptions & { input?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  const p = launch(file, args, { ...o, stdin: o.input !== undefined });
  const timer = o.timeoutMs === undefined ? undefined : setTimeout(() => p.kill('SIGKILL'), o.timeoutMs);
  let stdout = '';
  let stderr = '';
  p.stdout.setEncoding('utf8').on('data', (t: string) => (stdout += t));
  p.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
  if (o.input !== undefined) p.stdin!.end(o.input);
  const failed = new Promise<never>((_, reject) => p.once('error', reject));
  const { code, signal } = await Promise.race([p.closed, failed]).finally(() => clearTimeout(timer));
  return { code, signal, stdout, stderr };
}

/** Runs `file args` and returns its stdout; throws (with its stderr) unless it exits 0, as execFileSync does. */
export async function launchChecked(file: string, args: readonly string[], o: LaunchOptions & { input?: string } = {}): Promise<string> {
  const r = await launchOutput(file, args, o);
  if (r.code !== 0) {
    const how = r.signal ? `was killed by ${r.signal}` : `exited ${r.code}`;
    throw new Error(`${[file, ...args].join(' ')} ${how}\n${r.stderr}${r.stdout}`);
  }
  return r.stdout;
}
