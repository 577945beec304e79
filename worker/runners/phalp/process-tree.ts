import { StringDecoder } from 'node:string_decoder';
import { execa } from 'execa';

/**
 * Runs a program in its own process group (detached: setsid) so that everything it starts
 * (PHALP forks ffmpeg, dataloader workers, shells) can be stopped together by signalling the group:
 * SIGTERM first, SIGKILL after a grace period. When the leader exits, whatever it left behind in
 * its group is killed too, so nothing of a run outlives it.
 */

export interface TreeExit {
  exitCode: number | null;
  signal: string | null;
  /** the program could not be started at all (e.g. ENOENT) */
  spawnError: string | null;
}

export interface ProcessTree {
  pid: number | undefined;
  /** with `service: true`: the program's stdin and its file descriptor 3 (the warm service's channels) */
  stdin?: NodeJS.WritableStream | null;
  fd3?: NodeJS.ReadableStream | null;
  exited: Promise<TreeExit>;
  /** SIGTERM to the whole group, SIGKILL after `graceMs` if anything is still there */
  terminate(graceMs: number): void;
}

// Groups still running, killed if this process exits first (execa's own cleanup skips detached children).
const liveGroups = new Set<number>();
let exitHookInstalled = false;

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

export function startProcessTree(
  file: string,
  args: string[],
  options: { cwd: string; env: Record<string, string>; onStdout(text: string): void; onStderr(text: string): void; service?: boolean },
): ProcessTree {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const pgid of liveGroups) signalGroup(pgid, 'SIGKILL');
    });
  }
  const child = execa(file, args, {
    cwd: options.cwd,
    env: options.env,
    extendEnv: true,
    detached: true,
    // the warm service (service.ts) takes commands on stdin and answers on file descriptor 3
    ...(options.service ? { stdio: ['pipe', 'pipe', 'pipe', 'pipe'] as const } : { stdin: 'ignore' as const }),
    buffer: false,
    reject: false,
    cleanup: false,
  });
  const pid = child.pid;
  let killTimer: NodeJS.Timeout | undefined;
  if (pid !== undefined) liveGroups.add(pid);

  // UTF-8 may split inside the bar's multi-byte characters: decode across chunks.
  const pipe = (stream: NodeJS.ReadableStream | null, sink: (text: string) => void) => {
    if (!stream) return;
    const decoder = new StringDecoder('utf8');
    stream.on('data', (chunk: Buffer | string) => sink(typeof chunk === 'string' ? chunk : decoder.write(chunk)));
    stream.on('end', () => {
      const rest = decoder.end();
      if (rest) sink(rest);
    });
  };
  pipe(child.stdout, options.onStdout);
  pipe(child.stderr, options.onStderr);

  // The leader is gone: kill what it left in its group (those would also keep our pipes open).
  child.once('exit', () => {
    if (pid !== undefined) {
      signalGroup(pid, 'SIGKILL');
      liveGroups.delete(pid);
    }
  });

  const exited = child.then((result): TreeExit => {
    if (killTimer) clearTimeout(killTimer);
    if (pid !== undefined) {
      signalGroup(pid, 'SIGKILL');
      liveGroups.delete(pid);
    }
    if (result.exitCode === undefined && !result.signal) {
      return { exitCode: null, signal: null, spawnError: result.code ?? result.shortMessage ?? 'spawn failed' };
    }
    return { exitCode: result.exitCode ?? null, signal: result.signal ?? null, spawnError: null };
  });

  return {
    pid,
    ...(options.service ? { stdin: child.stdin, fd3: (child.stdio[3] as NodeJS.ReadableStream | undefined) ?? null } : {}),
    exited,
    terminate(graceMs: number) {
      if (pid === undefined || !liveGroups.has(pid)) return;
      signalGroup(pid, 'SIGTERM');
      if (!killTimer) killTimer = setTimeout(() => signalGroup(pid, 'SIGKILL'), graceMs);
    },
  };
}
