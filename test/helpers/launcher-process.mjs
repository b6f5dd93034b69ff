// The launcher's process (test/helpers/launcher.ts): spawns what a test asks for and relays its output, exit and
// signals over the IPC channel. It is a small process, so each fork it makes is cheap; see launcher.ts for why the
// tests do not fork from their own, large one.
import { spawn } from 'node:child_process';

/** @type {Map<number, import('node:child_process').ChildProcess>} */
const live = new Map();
const send = (message) => {
  if (process.connected) process.send(message);
};

process.on('message', (m) => {
  if (m.t === 'spawn') {
    let child;
    try {
      child = spawn(m.file, m.args, { cwd: m.cwd, env: m.env, stdio: [m.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    } catch (err) {
      send({ t: 'error', id: m.id, message: err.message, code: err.code });
      send({ t: 'close', id: m.id, code: null, signal: null });
      return;
    }
    live.set(m.id, child);
    child.on('spawn', () => send({ t: 'spawned', id: m.id, pid: child.pid }));
    child.on('error', (err) => send({ t: 'error', id: m.id, message: err.message, code: err.code }));
    child.stdin?.on('error', () => {}); // a child that exits before reading its stdin: EPIPE, as with spawn
    child.stdout.on('data', (data) => send({ t: 'data', id: m.id, fd: 1, data }));
    child.stderr.on('data', (data) => send({ t: 'data', id: m.id, fd: 2, data }));
    child.on('close', (code, signal) => {
      live.delete(m.id);
      send({ t: 'close', id: m.id, code, signal });
    });
  } else if (m.t === 'stdin') live.get(m.id)?.stdin?.write(m.data);
  else if (m.t === 'stdin-end') live.get(m.id)?.stdin?.end();
  else if (m.t === 'kill') {
    // Not before the spawn succeeded: Node signals a handle whose spawn failed (ENOENT, bad cwd) as pid 0, which
    // is this whole process group, vitest included.
    const child = live.get(m.id);
    if (child?.pid !== undefined) child.kill(m.signal);
  }
});

// The test worker is gone (its run ended, or it was killed): nothing it started may outlive it.
process.on('disconnect', () => {
  for (const child of live.values()) child.kill('SIGKILL');
  process.exit(0);
});
