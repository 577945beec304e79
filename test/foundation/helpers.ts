import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { collectOutput } from '../../scripts/services/web-processes';

export const ROOT = path.resolve(import.meta.dirname, '..', '..');
export const SAMPLE_VIDEO = path.resolve(ROOT, '..', 'shared', 'samples', 'video', 'two_people_jump.mp4');
export const PHALP_DOUBLE_DIR = path.join(ROOT, 'test', 'fixtures', 'phalp-double');

/** A multipart/form-data POST whose body is streamed chunk by chunk (never built in memory). */
export function multipartRequest(
  parts: { name: string; chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array> },
  url = 'http://localhost/api/clips',
): Request {
  const boundary = `----mc${crypto.randomBytes(8).toString('hex')}`;
  const enc = new TextEncoder();
  const head = enc.encode(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${parts.name}"\r\nContent-Type: video/mp4\r\n\r\n`,
  );
  const tail = enc.encode(`\r\n--${boundary}--\r\n`);
  async function* body() {
    yield head;
    for await (const c of parts.chunks) yield c;
    yield tail;
  }
  const it = body();
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { value, done } = await it.next();
      if (done) controller.close();
      else controller.enqueue(value);
    },
  });
  return new Request(url, {
    method: 'POST',
    body: stream,
    // @ts-expect-error Node's fetch needs this for a streamed request body
    duplex: 'half',
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
  });
}

export function fileChunks(file: string): AsyncIterable<Uint8Array> {
  return fs.createReadStream(file, { highWaterMark: 256 * 1024 }) as AsyncIterable<Uint8Array>;
}

export function bytesChunks(data: Uint8Array): Iterable<Uint8Array> {
  return [data];
}

export async function waitFor<T>(fn: () => Promise<T | null | undefined | false>, timeoutMs: number, what: string): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < until) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
}

export interface WorkerProcess {
  child: ChildProcess;
  output: () => string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts a real worker process (the same entry point `npm start` uses) with the test's services. */
export function startWorker(env: Record<string, string>): WorkerProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'worker', 'main.ts')], {
    cwd: ROOT,
    env: { ...process.env, MC_PROCESS_NAME: 'worker', WORKER_LOCK_MS: '4000', WORKER_SHUTDOWN_GRACE_MS: '5000', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = collectOutput(child, undefined, Number.POSITIVE_INFINITY);
  return {
    child,
    output,
    stop: (signal = 'SIGTERM') =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode);
        child.once('exit', (code) => resolve(code));
        child.kill(signal);
      }),
  };
}

export async function waitForWorkerReady(w: WorkerProcess, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!w.output().includes('"worker.ready"')) {
    if (w.child.exitCode !== null) throw new Error(`worker exited early:\n${w.output()}`);
    if (Date.now() > until) throw new Error(`worker not ready after ${timeoutMs} ms:\n${w.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
