import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getClipDoc } from '../../lib/clips/repo';
import { acceptUpload } from '../../lib/clips/service';
import { resetConfigForTests } from '../../lib/config';
import { closeDb } from '../../lib/db';
import { closeQueue } from '../../lib/queue';
import { closeSharedRedis } from '../../lib/redis';
import { asUser, params, testOwner, testUser } from '../auth/helpers';
import { fileChunks, multipartRequest, PHALP_DOUBLE_DIR, SAMPLE_VIDEO, startWorker, waitFor, waitForWorkerReady, type WorkerProcess } from '../foundation/helpers';

/**
 * Debian's real Prometheus server scrapes the web app's GET /api/metrics (the route handler, served
 * by a plain node:http adapter in this process, which is also where the upload happens) and a real
 * worker process's /metrics, both guarded by METRICS_TOKEN; a clip is processed; Prometheus's HTTP
 * API is then asked for the job count and a job duration sample.
 */
const PROMETHEUS = '/usr/bin/prometheus';
const TOKEN = 'test-metrics-token-0123456789';
let tmp: string;
let appServer: http.Server;
let prom: ChildProcess | null = null;
let promOut = '';
let worker: WorkerProcess | null = null;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

async function query(promPort: number, q: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const res = await fetch(`http://127.0.0.1:${promPort}/api/v1/query?query=${encodeURIComponent(q)}`);
  const body = (await res.json()) as { status: string; data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
  expect(body.status).toBe('success');
  return body.data.result;
}

beforeAll(async () => {
  process.env.METRICS_TOKEN = TOKEN;
  resetConfigForTests();
  tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'mc-prom-'));
});
afterAll(async () => {
  await worker?.stop('SIGKILL');
  prom?.kill('SIGTERM');
  appServer?.close();
  await closeQueue();
  await closeSharedRedis();
  await closeDb();
  await fsp.rm(tmp, { recursive: true, force: true });
  delete process.env.METRICS_TOKEN;
  resetConfigForTests();
});

describe.skipIf(!fs.existsSync(PROMETHEUS))('Prometheus scrapes the app and a worker', { timeout: 300_000 }, () => {
  it('counts the job and records its duration', async () => {
    const { GET: metrics } = await import('../../app/api/metrics/route');
    // the web app's metrics route, reachable over HTTP for Prometheus
    appServer = http.createServer(async (req, res) => {
      const headers = new Headers();
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers.set(k, v);
      const r = await metrics(new Request(`http://127.0.0.1${req.url}`, { headers }));
      res.writeHead(r.status, Object.fromEntries(r.headers));
      res.end(Buffer.from(await r.arrayBuffer()));
    });
    const appPort = await freePort();
    await new Promise<void>((r) => appServer.listen(appPort, '127.0.0.1', () => r()));
    // guarded: no token, no metrics
    expect((await fetch(`http://127.0.0.1:${appPort}/api/metrics`)).status).toBe(401);

    const workerPort = await freePort();
    worker = startWorker({
      POSE_RUNNER: 'phalp',
      PHALP_DIR: PHALP_DOUBLE_DIR,
      PHALP_PYTHON: '/usr/bin/python3',
      PHALP_DOUBLE_PEOPLE: '2',
      PHALP_DOUBLE_FPS: '400',
      WORKER_METRICS_PORT: String(workerPort),
      METRICS_TOKEN: TOKEN,
    });
    await waitForWorkerReady(worker);
    expect((await fetch(`http://127.0.0.1:${workerPort}/metrics`)).status).toBe(401);
    const text = await (await fetch(`http://127.0.0.1:${workerPort}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
    expect(text).toMatch(/motion_coach_worker_heartbeat_timestamp_seconds\{worker="[^"]+",runner="phalp"\} \d/);

    const promPort = await freePort();
    const config = path.join(tmp, 'prometheus.yml');
    const auth = `    authorization:\n      type: Bearer\n      credentials: ${TOKEN}\n`;
    fs.writeFileSync(
      config,
      `global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n` +
        `  - job_name: app\n    metrics_path: /api/metrics\n${auth}    static_configs:\n      - targets: ["127.0.0.1:${appPort}"]\n` +
        `  - job_name: worker\n    metrics_path: /metrics\n${auth}    static_configs:\n      - targets: ["127.0.0.1:${workerPort}"]\n`,
    );
    prom = spawn(PROMETHEUS, [`--config.file=${config}`, `--storage.tsdb.path=${path.join(tmp, 'tsdb')}`, `--web.listen-address=127.0.0.1:${promPort}`], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    prom.stdout!.on('data', (d) => (promOut += d));
    prom.stderr!.on('data', (d) => (promOut += d));
    await waitFor(async () => (await fetch(`http://127.0.0.1:${promPort}/-/ready`).catch(() => null))?.ok, 60_000, `prometheus ready\n${promOut}`);

    const user = await testUser();
    const clip = await acceptUpload(await testOwner(), multipartRequest({ name: 'jump.mp4', chunks: fileChunks(SAMPLE_VIDEO) }));
    await waitFor(async () => {
      const doc = await getClipDoc(clip.id);
      if (doc?.status === 'failed') throw new Error(doc.error ?? 'failed');
      return doc?.status === 'done';
    }, 180_000, 'clip done');
    // one API request through route(): an HTTP duration sample by route template
    const { GET: getClip } = await import('../../app/api/clips/[id]/route');
    expect((await getClip(asUser(user, `/api/clips/${clip.id}`), params({ id: clip.id }))).status).toBe(200);

    // both targets up, then the job count and a duration sample from the worker, queue and uploads from the app
    await waitFor(async () => (await query(promPort, 'up')).filter((r) => r.value[1] === '1').length === 2, 30_000, `both targets up\n${promOut}`);
    const done = await waitFor(async () => {
      const r = await query(promPort, 'sum(motion_coach_jobs_total{outcome="done"})');
      return r.length && Number(r[0]!.value[1]) >= 1 ? r : null;
    }, 30_000, 'job count in Prometheus');
    expect(Number(done[0]!.value[1])).toBe(1);
    const duration = await query(promPort, 'motion_coach_job_duration_seconds_sum{outcome="done"}');
    expect(duration).toHaveLength(1);
    expect(duration[0]!.metric.runner).toBe('phalp');
    expect(Number(duration[0]!.value[1])).toBeGreaterThan(0);
    console.log(`[prometheus] job duration sample: ${Number(duration[0]!.value[1]).toFixed(2)} s (runner ${duration[0]!.metric.runner})`);
    const stages = await query(promPort, 'motion_coach_job_stage_duration_seconds_count{stage="tracking"}');
    expect(Number(stages[0]!.value[1])).toBe(1);
    const frames = await query(promPort, 'motion_coach_frames_processed_total');
    expect(Number(frames[0]!.value[1])).toBe(230);
    await waitFor(async () => {
      const r = await query(promPort, 'motion_coach_queue_jobs{state="completed"}');
      return r.length && Number(r[0]!.value[1]) === 1;
    }, 30_000, 'completed job count from the app');
    const uploaded = await query(promPort, 'motion_coach_upload_bytes_total');
    expect(Number(uploaded[0]!.value[1])).toBe(fs.statSync(SAMPLE_VIDEO).size);
    await waitFor(async () => (await query(promPort, 'motion_coach_http_request_duration_seconds_count{route="/api/clips/[id]",status="200"}')).length === 1, 30_000, 'http sample');
  });
});
