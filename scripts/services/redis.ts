import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { findFreePort } from './free-port';
import { guardChildProcess } from './orphan-guard';
import { checkSystemPrograms } from './system-check';

/**
 * A real redis-server for `npm start` and the tests, persisted with an append-only file in `dir`
 * (so queued jobs survive a restart), reachable only from this machine.
 */

export interface EmbeddedRedisOptions {
  /** where the AOF lives; created if missing; the same dir on the next start gives the same data */
  dir: string;
  /** default: a free port */
  port?: number;
  /** receives redis-server's log lines (default: dropped; the tail is kept for error messages) */
  log?: (line: string) => void;
  /** how long to wait until it serves (default 20 s) */
  startTimeoutMs?: number;
}

export interface EmbeddedRedis {
  url: string;
  port: number;
  pid: number;
  dir: string;
  /** clean stop: SIGTERM makes redis fsync the AOF and exit; waits for the exit (SIGKILL after 15 s) */
  stop(): Promise<void>;
  /** for tests of "Redis went away": kill it hard (default SIGKILL) and wait for the exit */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** resolves when the process has exited, for whatever reason */
  exited: Promise<void>;
}

export class RedisStartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RedisStartError';
  }
}

export async function startEmbeddedRedis(opts: EmbeddedRedisOptions): Promise<EmbeddedRedis> {
  checkSystemPrograms(['redis-server']);
  const dir = path.resolve(opts.dir);
  fs.mkdirSync(dir, { recursive: true });
  // a port we picked may be taken by someone else before redis binds it: pick another and retry
  const attempts = opts.port === undefined ? 3 : 1;
  for (let attempt = 1; ; attempt++) {
    const port = opts.port ?? (await findFreePort());
    try {
      return await startOnPort(dir, port, opts);
    } catch (err) {
      const portTaken = err instanceof RedisStartError && /address already in use/i.test(err.message);
      if (!portTaken || attempt >= attempts) throw err;
    }
  }
}

async function startOnPort(dir: string, port: number, opts: EmbeddedRedisOptions): Promise<EmbeddedRedis> {
  const args = [
    '--port', String(port),
    '--bind', '127.0.0.1',
    '--dir', dir,
    '--appendonly', 'yes',
    '--save', '', // the AOF is the persistence; no RDB snapshots on top
    '--daemonize', 'no',
    '--logfile', '', // log to stdout, which we read
  ];
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const tail: string[] = [];
  const onLine = (line: string) => {
    if (!line.trim()) return;
    tail.push(line);
    if (tail.length > 30) tail.shift();
    opts.log?.(line);
  };
  forEachLine(child, onLine);

  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  const spawnError = new Promise<never>((_, reject) => child.once('error', (err) => reject(new RedisStartError(`redis-server could not be started: ${err.message}`))));
  spawnError.catch(() => {});
  const pid = child.pid;
  if (pid === undefined) return spawnError;

  const guard = guardChildProcess(pid, 'SIGTERM');
  const waitExit = async (signal: NodeJS.Signals, graceMs: number) => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    }
    guard.release();
  };

  try {
    await Promise.race([
      waitUntilServing(port, pid, opts.startTimeoutMs ?? 20_000),
      spawnError,
      exited.then(() => {
        throw new RedisStartError(`redis-server exited during start (port ${port}, dir ${dir}):\n${tail.join('\n')}`);
      }),
    ]);
  } catch (err) {
    await waitExit('SIGKILL', 1000);
    if (err instanceof RedisStartError) throw err;
    throw new RedisStartError(`redis-server did not start serving on port ${port}: ${(err as Error).message}\n${tail.join('\n')}`);
  }

  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    pid,
    dir,
    stop: () => waitExit('SIGTERM', 15_000),
    kill: (signal = 'SIGKILL') => waitExit(signal, 5_000),
    exited,
  };
}

function forEachLine(child: ChildProcess, onLine: (line: string) => void): void {
  for (const stream of [child.stdout, child.stderr]) {
    let rest = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop() ?? '';
      lines.forEach(onLine);
    });
    stream?.on('end', () => rest && onLine(rest));
  }
}

/**
 * Polls until OUR process answers: `INFO server` must report our pid (another redis already on the
 * port would answer PING too, and we would hand out the wrong server). While redis loads the AOF it
 * answers `-LOADING`, which counts as not ready. A raw RESP request keeps the probe free of client
 * reconnect logic.
 */
async function waitUntilServing(port: number, pid: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    last = await requestOnce(port, 'INFO server').catch((err: Error) => err.message);
    const answeringPid = /^process_id:(\d+)/m.exec(last)?.[1];
    if (answeringPid === String(pid)) return;
    if (answeringPid) last = `port ${port} is answered by another redis-server (pid ${answeringPid})`;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`not serving within ${timeoutMs} ms (last: ${last.trim().slice(0, 200)})`);
}

function requestOnce(port: number, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    let answer = '';
    socket.setTimeout(1000, () => socket.destroy(new Error('no answer within 1 s')));
    socket.once('connect', () => socket.write(`${command}\r\n`));
    socket.on('data', (d) => {
      answer += d.toString('utf8');
      // a bulk reply is "$<len>\r\n<body>\r\n"; an error or status reply is one line
      const bulk = /^\$(\d+)\r\n/.exec(answer);
      if (bulk ? Buffer.byteLength(answer) >= bulk[0].length + Number(bulk[1]) + 2 : answer.includes('\r\n')) socket.end();
    });
    socket.once('error', reject);
    socket.once('close', () => resolve(answer));
  });
}
