/**
 * The load bench's client (bench/load.bench.ts) in processes of their own: autocannon parses every
 * response body on its event loop, and with a 1.2 MB payload one process is itself the bottleneck
 * (see dropResponseBodies below). runLoad()
 * splits the connections over `processes` children, each running autocannon, and merges their
 * latencies (per HTTP status: 200 whole payload, 206 video Range) and error counts.
 *
 * Child mode: `node --import tsx bench/load-client.ts '<json LoadSpec>'` prints one JSON line (ChildResult).
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import autocannon, { type RequestSpec } from 'autocannon';

/**
 * autocannon 9 keeps every response body as a string (lib/pipelinedRequestsQueue.js addBody:
 * `body += chunk`), UTF-8-decoding each chunk: for a 1.2 MB binary payload that was nearly all of the
 * client's time (23 requests/s against a bare server answering from memory, 396 without it). The bench
 * checks no body (no expectBody / verifyBody), so the body is not kept; bytes are still counted.
 */
function dropResponseBodies() {
  const queue = createRequire(import.meta.url)('autocannon/lib/pipelinedRequestsQueue.js') as { prototype: { addBody(data: Buffer): void } };
  queue.prototype.addBody = () => {};
}

export interface LoadSpec {
  url: string;
  connections: number;
  seconds: number;
  /** seconds before a request counts as timed out */
  timeout: number;
  headers: Record<string, string>;
  /** GET these, in turn per connection */
  posesPath: string;
  /** when set, every connection alternates a poses request and a 256 KiB Range read of this path */
  video?: { path: string; size: number };
}

interface ChildResult {
  byStatus: Record<string, number[]>;
  errors: number;
  timeouts: number;
  non2xx: number;
  duration: number;
  bytes: number;
}

export interface LoadResult {
  byStatus: Map<number, number[]>;
  all: number[];
  /** failed connections + timeouts + non-2xx */
  errors: number;
  /** the same, each kind on its own */
  errorKinds: { connection: number; timeouts: number; non2xx: number };
  wrong: string[];
  /** the longest child's run, seconds */
  duration: number;
  /** response bytes read, all children */
  bytes: number;
}

async function runChild(spec: LoadSpec, seed: number): Promise<ChildResult> {
  dropResponseBodies();
  const byStatus: Record<string, number[]> = {};
  const requests: RequestSpec[] = [{ method: 'GET', path: spec.posesPath, headers: spec.headers }];
  if (spec.video) {
    const { path, size } = spec.video;
    let rangeNo = seed * 1000;
    requests.push({
      method: 'GET',
      path,
      headers: spec.headers,
      setupRequest: (req) => {
        const start = ((rangeNo++ * 7919 * 4096) % Math.max(1, size - 262_144)) | 0;
        return { ...req, headers: { ...spec.headers, range: `bytes=${start}-${start + 262_143}` } };
      },
    });
  }
  const inst = autocannon({ url: spec.url, connections: spec.connections, duration: spec.seconds, timeout: spec.timeout, requests });
  inst.on('response', (_client, status, _bytes, ms) => (byStatus[String(status)] ??= []).push(ms));
  const r = await inst;
  return { byStatus, errors: r.errors, timeouts: r.timeouts, non2xx: r.non2xx, duration: r.duration, bytes: (r.throughput as unknown as { total: number }).total };
}

/** Runs the load from `processes` child processes (connections split evenly) and merges the results. */
export async function runLoad(spec: LoadSpec, processes: number): Promise<LoadResult> {
  const n = Math.max(1, Math.min(processes, spec.connections));
  const parts = Array.from({ length: n }, (_, i) => Math.floor(spec.connections / n) + (i < spec.connections % n ? 1 : 0));
  const results = await Promise.all(
    parts.map(
      (connections, i) =>
        new Promise<ChildResult>((resolve, reject) => {
          const child = spawn(process.execPath, ['--import', 'tsx', import.meta.filename, JSON.stringify({ ...spec, connections }), String(i)], {
            stdio: ['ignore', 'pipe', 'inherit'],
          });
          let out = '';
          child.stdout!.on('data', (d) => (out += d));
          child.once('error', reject);
          // 'close', not 'exit': the result (every latency, megabytes for a long run) may still be in the pipe at exit
          child.once('close', (code) => {
            if (code !== 0) return reject(new Error(`load client ${i} exited with ${code}`));
            try {
              resolve(JSON.parse(out.trim().split('\n').at(-1)!) as ChildResult);
            } catch (err) {
              reject(new Error(`load client ${i} printed no result: ${(err as Error).message}`));
            }
          });
        }),
    ),
  );
  const byStatus = new Map<number, number[]>();
  for (const r of results) for (const [s, l] of Object.entries(r.byStatus)) byStatus.set(Number(s), [...(byStatus.get(Number(s)) ?? []), ...l]);
  const wrong = [...byStatus.entries()].filter(([s]) => s !== 200 && s !== 206).map(([s, l]) => (Number.isNaN(s) ? `${l.length} answers without a status` : `${l.length} x HTTP ${s}`));
  return {
    byStatus,
    all: [...byStatus.values()].flat(),
    // autocannon's errors include its timeouts (counted once here; the bench before counted them twice)
    errors: results.reduce((a, r) => a + r.errors + r.non2xx, 0),
    errorKinds: {
      connection: results.reduce((a, r) => a + r.errors - r.timeouts, 0),
      timeouts: results.reduce((a, r) => a + r.timeouts, 0),
      non2xx: results.reduce((a, r) => a + r.non2xx, 0),
    },
    wrong,
    duration: Math.max(...results.map((r) => r.duration)),
    bytes: results.reduce((a, r) => a + r.bytes, 0),
  };
}

if (process.argv[1] === import.meta.filename && process.argv[2]) {
  runChild(JSON.parse(process.argv[2]) as LoadSpec, Number(process.argv[3] ?? 0)).then(
    (r) => {
      // exit once the result is written: it can be megabytes, more than the pipe holds
      process.stdout.write(`${JSON.stringify(r)}\n`, () => process.exit(0));
    },
    (err) => {
      process.stderr.write(`load client failed: ${(err as Error).stack}\n`);
      process.exit(1);
    },
  );
}
