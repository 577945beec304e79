import { spawn } from 'node:child_process';

/**
 * Makes sure a server we spawned does not outlive us. Two layers:
 * - on a normal exit of this process (including process.exit from a Ctrl-C handler), an 'exit' hook
 *   sends the stop signal to every guarded child still registered;
 * - when this process dies without running hooks (SIGKILL, crash of the runtime), a tiny detached
 *   watchdog process notices within half a second and stops the child itself (escalating to SIGKILL).
 * mongodb-memory-server has its own watchdog ("mongo_killer") for mongod; this one is for redis-server.
 */

// The watchdog runs as `node -e WATCHDOG parentPid childPid signal`: no file to locate, no TypeScript.
const WATCHDOG = `
const [parent, child, signal] = [Number(process.argv[1]), Number(process.argv[2]), process.argv[3]];
const alive = (pid) => { try { process.kill(pid, 0); return true; } catch (e) { return e.code === 'EPERM'; } };
const tick = setInterval(() => {
  if (!alive(child)) process.exit(0);
  if (alive(parent)) return;
  clearInterval(tick);
  try { process.kill(child, signal); } catch {}
  const deadline = Date.now() + 15000;
  const wait = setInterval(() => {
    if (!alive(child)) process.exit(0);
    if (Date.now() > deadline) { try { process.kill(child, 'SIGKILL'); } catch {} process.exit(0); }
  }, 200);
}, 500);
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
`;

const guarded = new Map<number, NodeJS.Signals>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const [pid, signal] of guarded) {
      try {
        process.kill(pid, signal);
      } catch {
        // already gone
      }
    }
  });
}

export interface ChildGuard {
  /** The server was stopped on purpose: stop watching it. */
  release(): void;
}

export interface GuardOptions {
  /** default true; false when the child already has its own watchdog (mongod under mongodb-memory-server) */
  watchdog?: boolean;
}

export function guardChildProcess(childPid: number, signal: NodeJS.Signals = 'SIGTERM', opts: GuardOptions = {}): ChildGuard {
  installExitHook();
  guarded.set(childPid, signal);
  if (opts.watchdog === false) return { release: () => void guarded.delete(childPid) };
  const watchdog = spawn(process.execPath, ['-e', WATCHDOG, String(process.pid), String(childPid), signal], {
    detached: true,
    stdio: 'ignore',
  });
  watchdog.unref();
  return {
    release() {
      guarded.delete(childPid);
      if (watchdog.exitCode === null && watchdog.signalCode === null) watchdog.kill('SIGTERM');
    },
  };
}
