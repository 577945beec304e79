/**
 * Upload throughput of a large file, through the real web app and through a bare Node HTTP server
 * that only hashes (sha256) and writes the same bytes to disk (bench/bare-upload-server.mjs), so the
 * two can be compared in one run (issue 13: the app's throughput as a ratio of the bare server's).
 * Used by bench/upload.bench.ts and bench/load.bench.ts.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';

export const SAMPLE = path.resolve(import.meta.dirname, '../../shared/samples/video/two_people_jump.mp4');

export interface UploadResult {
  status: number;
  answer: string;
  bytes: number;
  seconds: number;
  /** until the server had taken the last byte off the client's stream (the rest of `seconds` is the server's work after the body: probing, database, queue) */
  bodySeconds: number;
  mibPerSecond: number;
}

/**
 * POSTs a multipart body (the sample video followed by `fillerMiB` MiB of filler, which ffprobe
 * ignores, so the app accepts it as a clip) to `url`, streamed from memory chunk by chunk. Unique
 * bytes each call, so an upload is never taken for an earlier one.
 */
export async function postLargeUpload(url: string, headers: Record<string, string>, fillerMiB: number, form: 'raw' | 'multipart' = 'multipart'): Promise<UploadResult> {
  const boundary = '----mcbench';
  const enc = new TextEncoder();
  // raw: the body is the file (what the app's page sends); multipart: field "file" (curl -F)
  const multipart = form === 'multipart';
  const head = multipart ? enc.encode(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="bench-${fillerMiB}mib.mp4"\r\nContent-Type: video/mp4\r\n\r\n`) : new Uint8Array(0);
  const tail = multipart ? enc.encode(`\r\n--${boundary}--\r\n`) : new Uint8Array(0);
  const type: Record<string, string> = multipart ? { 'content-type': `multipart/form-data; boundary=${boundary}` } : { 'content-type': 'video/mp4', 'x-filename': `bench-${fillerMiB}mib.mp4` };
  const sample = fs.readFileSync(SAMPLE);
  const chunk = new Uint8Array(1024 * 1024);
  new DataView(chunk.buffer).setFloat64(0, Date.now() + Math.random());
  const total = head.length + sample.length + fillerMiB * chunk.length + tail.length;
  let i = -2;
  let bodyDone = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      let part: Uint8Array;
      if (i === -2) part = head;
      else if (i === -1) part = sample;
      else if (i < fillerMiB) part = chunk;
      else if (i === fillerMiB) part = tail;
      else {
        bodyDone = performance.now();
        return controller.close();
      }
      i++;
      controller.enqueue(part);
    },
  });
  const t0 = performance.now();
  const res = await fetch(url, {
    method: 'POST',
    body,
    headers: { ...headers, ...type, 'content-length': String(total) },
    // @ts-expect-error Node's fetch needs this for a streamed request body
    duplex: 'half',
  });
  const answer = await res.text();
  const seconds = (performance.now() - t0) / 1000;
  const bodySeconds = bodyDone ? (bodyDone - t0) / 1000 : seconds;
  return { status: res.status, answer, bytes: total, seconds, bodySeconds, mibPerSecond: total / 1024 / 1024 / seconds };
}

/** The bare server in its own process (like the app), writing into `dir`; stop() ends it. */
export function startBareUploadServer(dir: string): Promise<{ url: string; pid: number; stop(): Promise<void> }> {
  return startBareServer('bare-upload-server.mjs', [dir]);
}

/** One of the bench's bare Node servers (bench/*.mjs: prints "listening <port>") in its own process; stop() ends it. */
export async function startBareServer(script: string, args: string[]): Promise<{ url: string; pid: number; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [path.join(import.meta.dirname, script), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /listening (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });
  return {
    url: `http://127.0.0.1:${port}/`,
    pid: child.pid!,
    stop: () => new Promise<void>((r) => (child.exitCode !== null ? r() : (child.once('exit', () => r()), child.kill('SIGTERM')))),
  };
}

/**
 * POSTs a file as the multipart field "file" with node:http, so that an answer the server gives before
 * it read the whole body (401, 403, 413, 429 ...) comes back as that answer, not as a broken pipe.
 */
export function postFile(url: string, headers: Record<string, string>, file: string): Promise<{ status: number; body: string }> {
  const boundary = `----mcfile${Date.now()}`;
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${path.basename(file)}"\r\nContent-Type: video/mp4\r\n\r\n`);
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const body = Buffer.concat([head, fs.readFileSync(file), tail]);
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers: { ...headers, 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(body.length) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    // a write error after the server answered early is expected; the answer is what counts
    req.on('error', (err) => setTimeout(() => reject(new Error(`POST ${url}: ${err.message}`)), 2000));
    req.end(body);
  });
}
