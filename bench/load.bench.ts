/**
 * Load held (issue 13), against the REAL app: the production web server (`scripts/web-server.mjs`) and one worker
 * (`worker/main.ts`) as processes of their own, with their own MongoDB and Redis (the embedded ones
 * `npm start` uses), in a temp folder. Run alone: `npx tsx bench/load.bench.ts` (or `npm run bench`,
 * `BENCH_ONLY=load`). Builds the web app first when its build is stale.
 *
 * The clip: 312 frames (the sample video looped, H.264), processed by the worker (PHALP test double),
 * whose pose results are then replaced by a generated 3-athlete, 312-frame PHALP-like sequence
 * (test/frames/synthetic-sequence.ts; the double tracks at most two people), so the poses payload is
 * that of a 312-frame, 3-athlete clip.
 *
 * 1. poses only: 50 concurrent players GET /api/clips/:id/poses for BENCH_POSES_SECONDS (default 20),
 *    the worker idle (target >= 500 requests/s, p99 <= 200 ms);
 * 2. a 1 GiB upload (BENCH_UPLOAD_MIB) through the app and the same bytes to a bare Node HTTP server
 *    that only hashes and writes them: the throughput ratio (target >= 0.9), for the file as the body
 *    (what the app's page sends) and as multipart (curl -F), BENCH_UPLOAD_ROUNDS rounds of each;
 * 3. the mixed load: 50 concurrent players (each alternating a poses request and a 256 KiB video Range
 *    read) for BENCH_LOAD_SECONDS (default 60) while 20 uploads of the sample clip (made unique by
 *    1 MiB of filler each) run at once and the worker works through their jobs.
 * Printed: requests/s, p50/p95/p99 latency, errors (target 0: failed connections, timeouts, non-2xx),
 * and the peak resident memory (RSS sampled from /proc every 100 ms, children included) of the web
 * server and of the worker. STORAGE: BENCH_STORAGE (default disk; gridfs to measure that backend).
 */
import crypto from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import { findFreePort } from '../scripts/services/free-port';
import { startEmbeddedMongo, superviseMongo } from '../scripts/services/mongo';
import { startEmbeddedRedis } from '../scripts/services/redis';
import {
  ensureWebBuild,
  ROOT,
  startWebApp,
  startWorkerProcess,
  treeRssKb,
  waitForWebApp,
  waitForWorkerProcess,
  type ManagedProcess,
} from '../scripts/services/web-processes';
import { syntheticSequence } from '../test/frames/synthetic-sequence';
import { benchSession } from './app-session';
import { runLoad } from './load-client';
import { postFile, postLargeUpload, SAMPLE, startBareServer } from './upload-throughput';

const line = (s: string) => process.stdout.write(`${s}\n`);
const LOAD_SECONDS = Number(process.env.BENCH_LOAD_SECONDS ?? 60);
const POSES_SECONDS = Number(process.env.BENCH_POSES_SECONDS ?? 20);
const UPLOAD_MIB = Number(process.env.BENCH_UPLOAD_MIB ?? 1024);
/** app and bare server upload in turn this many times (one run of each was at the mercy of the shared machine's other load) */
const UPLOAD_ROUNDS = Number(process.env.BENCH_UPLOAD_ROUNDS ?? 3);
const STORAGE = process.env.BENCH_STORAGE ?? 'disk';
/** load client processes (bench/load-client.ts): autocannon in the bench's own process was the bottleneck */
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 2);
/** which phases run (comma-separated): poses, upload, mixed */
const PHASES = new Set((process.env.BENCH_PHASES ?? 'poses,upload,mixed').split(',').map((x) => x.trim()));
/** what a browser sends (Chrome over HTTPS; over plain HTTP it leaves out br) */
const BROWSER_ACCEPT_ENCODING = 'gzip, deflate, br, zstd';
/** what Chrome sends over plain HTTP (a deploy without TLS) */
const BROWSER_ACCEPT_ENCODING_HTTP = 'gzip, deflate';
const PLAYERS = 50;
const UPLOADS = 20;
const FRAMES = 312;
const ATHLETES = 3;

/** Peak RSS of the web server and the worker, per phase. */
class MemorySampler {
  private peaks = { web: 0, worker: 0 };
  private timer: NodeJS.Timeout;
  constructor(private web: ManagedProcess, private worker: ManagedProcess) {
    this.timer = setInterval(() => this.sample(), 100);
  }
  sample() {
    this.peaks.web = Math.max(this.peaks.web, treeRssKb(this.web.pid));
    this.peaks.worker = Math.max(this.peaks.worker, treeRssKb(this.worker.pid));
  }
  /** The peaks since the last call, in MiB, as text; starts a new window. */
  take(): string {
    this.sample();
    // with BENCH_WEB_PROFILE: the web server writes its CPU profile of the window that ends here
    if (process.env.BENCH_WEB_PROFILE) process.kill(this.web.pid, 'SIGUSR2');
    const s = `peak RSS web server ${(this.peaks.web / 1024).toFixed(0)} MiB, worker ${(this.peaks.worker / 1024).toFixed(0)} MiB`;
    this.peaks = { web: 0, worker: 0 };
    return s;
  }
  stop() {
    clearInterval(this.timer);
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]! : NaN;
}
function latencyLine(label: string, times: number[], seconds: number): string {
  const s = [...times].sort((a, b) => a - b);
  return `${label}: ${(times.length / seconds).toFixed(0)} requests/s, latency p50 ${percentile(s, 0.5).toFixed(0)} ms, p95 ${percentile(s, 0.95).toFixed(0)} ms, p99 ${percentile(s, 0.99).toFixed(0)} ms (${times.length} responses)`;
}

/** One GET with node:http: the body as sent (not decompressed) and its headers. */
function rawGet(url: string, headers: Record<string, string>): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

async function waitForClip(url: string, headers: Record<string, string>, id: string, timeoutMs: number) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(`${url}/api/clips/${id}`, { headers });
    const clip = (await res.json()) as { status?: string; error?: string };
    if (clip.status === 'done') return;
    if (clip.status === 'failed') throw new Error(`clip ${id} failed: ${clip.error}`);
    if (Date.now() > until) throw new Error(`clip ${id} not done after ${timeoutMs} ms (${clip.status ?? `${res.status} ${clip.error}`})`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function main() {
  ensureWebBuild((s) => line(`load: ${s}`));
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mc-load-bench-'));
  const stops: (() => Promise<void>)[] = [];
  const procs: ManagedProcess[] = [];
  try {
    const started = await Promise.all([startEmbeddedMongo({ dbPath: path.join(tmp, 'mongo') }), startEmbeddedRedis({ dir: path.join(tmp, 'redis') })]);
    let mongo = started[0];
    const redis = started[1];
    // Wine's mongod (the offline fallback) can die under this load; restarted on the same port like `npm start`
    // does, and said, since the figures of a run with a restart include its outage
    const supervisor = superviseMongo(() => mongo, (m) => (mongo = m), undefined, (s) => line(`load: ${s}`));
    stops.unshift(
      async () => {
        await supervisor.stop();
        await mongo.stop();
      },
      () => redis.stop(),
    );
    const common = {
      MONGODB_URI: mongo.uri,
      REDIS_URL: redis.url,
      STORAGE,
      BETTER_AUTH_SECRET: crypto.randomBytes(32).toString('base64url'),
      LOG_LEVEL: 'warn',
    };
    const port = await findFreePort();
    const url = `http://127.0.0.1:${port}`;
    // STORAGE=disk: the web server and the worker share DATA_DIR (one machine); gridfs: each its own
    const dataDir = (name: string) => path.join(tmp, STORAGE === 'disk' ? 'data' : name);
    // BENCH_WEB_PROFILE=<dir>: CPU profiles of the web server, one per phase (bench/cpu-profile-preload.cjs)
    const profileDir = process.env.BENCH_WEB_PROFILE;
    const webNodeOptions: Record<string, string> = profileDir
      ? { NODE_OPTIONS: `--require ${path.join(import.meta.dirname, 'cpu-profile-preload.cjs')}`, BENCH_PROFILE_DIR: profileDir }
      : {};
    const web = startWebApp('web', port, { ...common, DATA_DIR: dataDir('web'), ...webNodeOptions });
    stops.unshift(() => web.stop('SIGTERM', 20_000));
    procs.push(web);
    const worker = startWorkerProcess('worker', {
      ...common,
      LOG_LEVEL: 'info',
      DATA_DIR: dataDir('worker'),
      POSE_RUNNER: 'phalp',
      PHALP_DIR: path.join(ROOT, 'test/fixtures/phalp-double'),
      PHALP_PYTHON: '/usr/bin/python3',
      PHALP_DOUBLE_PEOPLE: '2',
      PHALP_DOUBLE_FPS: '100',
    });
    stops.unshift(() => worker.stop('SIGTERM', 20_000));
    procs.push(worker);
    await waitForWebApp(web, url, 180_000);
    await waitForWorkerProcess(worker, 180_000);
    const memory = new MemorySampler(web, worker);
    stops.unshift(async () => memory.stop());
    const session = await benchSession(url);
    const headers = session.headers;

    // the 312-frame clip, processed by the worker, then given a 3-athlete pose result
    const clipFile = path.join(tmp, 'clip-312.mp4');
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-stream_loop', '1', '-i', SAMPLE, '-frames:v', String(FRAMES), '-vf', 'scale=1280:-2', '-an', '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', clipFile]);
    const up = await postFile(`${url}/api/clips`, headers, clipFile);
    if (up.status !== 201) throw new Error(`upload answered ${up.status}: ${up.body}`);
    const { id } = JSON.parse(up.body) as { id: string };
    await waitForClip(url, headers, id, 300_000);
    process.env.MONGODB_URI = mongo.uri;
    process.env.REDIS_URL = redis.url;
    const { saveSequence } = await import('../lib/frames/repo');
    const { getDb, closeDb } = await import('../lib/db');
    stops.unshift(() => closeDb());
    await saveSequence(id, syntheticSequence({ frames: FRAMES, tracks: ATHLETES, width: 1280, height: 720, seed: 13 }));
    const { ObjectId } = await import('mongodb');
    // a new result version: the poses payload is built again, from the 3-athlete sequence
    await (await getDb()).collection('clips').updateOne({ _id: new ObjectId(id) }, { $set: { finishedAt: new Date() } });
    const first = await fetch(`${url}/api/clips/${id}/poses`, { headers });
    const payloadBytes = (await first.arrayBuffer()).byteLength;
    if (first.status !== 200) throw new Error(`poses answered ${first.status}`);
    const videoSize = fs.statSync(clipFile).size;
    line(`load: clip ${id}: ${FRAMES} frames, ${ATHLETES} athletes, poses payload ${(payloadBytes / 1024).toFixed(0)} KiB (uncompressed), video ${(videoSize / 1024 / 1024).toFixed(1)} MiB; storage ${STORAGE}; web server and worker are processes of their own`);
    memory.take();

    // 1. poses only, the worker idle, as a browser asks (over HTTPS: Brotli; over plain HTTP: gzip); next to
    // the client's ceiling: a bare Node server answering the same bytes from memory. The web server answers
    // these itself, compressed (lib/http/direct-routes.ts; through Next.js's router they could not be)
    const posesPath = `/api/clips/${id}/poses`;
    const spec = (base: string, h: Record<string, string>, seconds: number) => ({ url: base, connections: PLAYERS, seconds, timeout: 10, headers: h, posesPath });
    if (PHASES.has('poses')) {
      for (const accept of [BROWSER_ACCEPT_ENCODING, BROWSER_ACCEPT_ENCODING_HTTP]) {
        const [label, h] = [`Accept-Encoding: ${accept}`, { ...headers, 'accept-encoding': accept }];
        // the first request of a route goes through Next.js's router (which loads it); the ones after it
        // are what players get (lib/http/direct-routes.ts)
        await rawGet(`${url}${posesPath}`, h);
        const sample = await rawGet(`${url}${posesPath}`, h);
        if (sample.status !== 200) throw new Error(`poses answered ${sample.status}`);
        const encoding = (sample.headers['content-encoding'] as string | undefined) ?? 'identity';
        const payloadFile = path.join(tmp, 'payload.bin');
        fs.writeFileSync(payloadFile, sample.body);
        const bareServer = await startBareServer('bare-payload-server.mjs', encoding === 'identity' ? [payloadFile] : [payloadFile, encoding]);
        const c = await runLoad(spec(bareServer.url, {}, POSES_SECONDS), CLIENTS);
        await bareServer.stop();
        const what = `${label}: ${encoding}, ${(sample.body.length / 1024).toFixed(0)} KiB`;
        line(latencyLine(`load client ceiling (${CLIENTS} autocannon processes, ${PLAYERS} connections, bare Node server, same bytes from memory; ${what})`, c.byStatus.get(200) ?? [], c.duration) + `, errors ${c.errors}`);
        memory.take();
        const p = await runLoad(spec(url, h, POSES_SECONDS), CLIENTS);
        line(latencyLine(`load poses only (${PLAYERS} concurrent players, ${POSES_SECONDS} s, worker idle; ${what})`, p.byStatus.get(200) ?? [], p.duration) + ` (target >= 500 requests/s, p99 <= 200 ms)`);
        line(`load poses only: errors ${p.errors}${p.wrong.length ? ` (${p.wrong.join(', ')})` : ''}; ${memory.take()}`);
      }
    }

    // 2. 1 GiB upload: the app vs a bare Node server that only hashes and writes the same bytes
    if (PHASES.has('upload')) {
      const bareDir = fs.mkdtempSync(path.join(tmp, 'bare-'));
      const bare = await startBareServer('bare-upload-server.mjs', [bareDir]);
      // the app's page sends the file as the body (raw); API clients may send multipart (curl -F)
      const ratios = { raw: [] as number[], multipart: [] as number[] };
      for (let round = 1; round <= UPLOAD_ROUNDS; round++) {
        const b = await postLargeUpload(bare.url, {}, UPLOAD_MIB, 'raw');
        const mib = b.bytes / 1024 / 1024;
        for (const form of ['raw', 'multipart'] as const) {
          const app = await postLargeUpload(`${url}/api/clips`, headers, UPLOAD_MIB, form);
          const appMem = memory.take();
          if (app.status === 201) await fetch(`${url}/api/clips/${(JSON.parse(app.answer) as { id: string }).id}`, { method: 'DELETE', headers });
          else line(`load: the ${UPLOAD_MIB} MiB upload answered ${app.status}: ${app.answer.slice(0, 300)}`);
          ratios[form].push(app.mibPerSecond / b.mibPerSecond);
          line(`load upload ${mib.toFixed(0)} MiB, round ${round}/${UPLOAD_ROUNDS}, ${form}: app ${app.mibPerSecond.toFixed(0)} MiB/s (${app.seconds.toFixed(1)} s, of which after the body ${(app.seconds - app.bodySeconds).toFixed(1)} s, HTTP ${app.status}), bare Node server (sha256 + write) ${b.mibPerSecond.toFixed(0)} MiB/s (${b.seconds.toFixed(1)} s): ratio ${ratios[form].at(-1)!.toFixed(2)}; during the app's upload ${appMem}`);
        }
      }
      await bare.stop();
      for (const form of ['raw', 'multipart'] as const) {
        const r = ratios[form];
        line(`load upload (${form === 'raw' ? "the file as the body, what the app's page sends" : 'multipart, curl -F'}): ratio app / bare, median of ${r.length} rounds ${percentile([...r].sort((a, b) => a - b), 0.5).toFixed(2)} (${r.map((x) => x.toFixed(2)).join(', ')}) (target >= 0.9)`);
      }
    }

    // 3. the mixed load: players (poses + video Range) while 20 uploads arrive and the worker works
    if (PHASES.has('mixed')) {
    const browser = { ...headers, 'accept-encoding': BROWSER_ACCEPT_ENCODING };
    const uploadsStarted = performance.now();
    const uploads = Promise.all(
      Array.from({ length: UPLOADS }, () => postLargeUpload(`${url}/api/clips`, headers, 1).then((r) => ({ ...r, at: (performance.now() - uploadsStarted) / 1000 }))),
    );
    const mixed = await runLoad({ ...spec(url, browser, LOAD_SECONDS), video: { path: `/api/clips/${id}/video`, size: videoSize } }, CLIENTS);
    const ups = await uploads;
    const upIds = ups.filter((u) => u.status === 201).map((u) => (JSON.parse(u.answer) as { id: string }).id);
    const statuses = await Promise.all(upIds.map(async (x) => ((await (await fetch(`${url}/api/clips/${x}`, { headers })).json()) as { status: string }).status));
    const count = (s: string) => statuses.filter((x) => x === s).length;
    line(latencyLine(`load mixed (${PLAYERS} players, poses + 256 KiB video Range, ${LOAD_SECONDS} s, ${UPLOADS} uploads, worker busy) all`, mixed.all, mixed.duration));
    line(latencyLine('load mixed: poses', mixed.byStatus.get(200) ?? [], mixed.duration));
    line(latencyLine('load mixed: video Range', mixed.byStatus.get(206) ?? [], mixed.duration));
    const k = mixed.errorKinds;
    line(`load mixed: errors ${mixed.errors} (timeouts ${k.timeouts}, other connection errors ${k.connection}, non-2xx ${k.non2xx}${mixed.wrong.length ? `: ${mixed.wrong.join(', ')}` : ''}); ${memory.take()}`);
    const upTimes = ups.map((u) => u.at).sort((a, b) => a - b);
    line(
      `load uploads: ${ups.filter((u) => u.status === 201).length}/${UPLOADS} accepted (${ups.filter((u) => u.status !== 201).map((u) => u.status).join(', ') || 'no refusals'}), ` +
        `all answered within ${upTimes.at(-1)?.toFixed(1)} s (median ${percentile(upTimes, 0.5).toFixed(1)} s); at the end of the load: ${count('done')} done, ${count('processing')} processing, ${count('queued')} queued`,
    );
    const workerErrors = worker.output().split('\n').filter((l) => /"level":"error"/.test(l));
    if (workerErrors.length) line(`load: worker errors: ${workerErrors.slice(0, 3).join('\n')}`);
    }
  } catch (err) {
    for (const p of procs) line(`--- ${p.name} output (end):\n${p.output().slice(-3000)}`);
    throw err;
  } finally {
    for (const stop of stops) await stop().catch((e) => line(`load: stop failed: ${(e as Error).message}`));
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`load bench failed: ${(err as Error).stack}${(err as Error).cause ? `\ncause: ${String((err as Error).cause)}` : ''}\n`);
    process.exit(1);
  },
);
