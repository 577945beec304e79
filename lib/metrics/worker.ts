import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { counter, gauge, histogram, metricsResponse } from './registry';

/** A worker's metrics: jobs, stages, frames, heartbeat and the job it is running. */

const SECONDS = [1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600, 1200, 3600];
const jobDuration = () => histogram('motion_coach_job_duration_seconds', 'Wall time of a job attempt, by runner and outcome', ['runner', 'outcome'], SECONDS);
const stageDuration = () =>
  histogram('motion_coach_job_stage_duration_seconds', 'Wall time of each pipeline stage of a finished job, by runner', ['runner', 'stage'], [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800]);
const jobs = () => counter('motion_coach_jobs_total', 'Job attempts that ended, by runner and outcome (done, failed, retry, canceled, returned, delayed)', ['runner', 'outcome']);
const frames = () => counter('motion_coach_frames_processed_total', 'Video frames stored with poses, by runner', ['runner']);
const personFrames = () => counter('motion_coach_person_frames_processed_total', 'Person-frames (one athlete in one frame) stored, by runner', ['runner']);
const heartbeat = () => gauge('motion_coach_worker_heartbeat_timestamp_seconds', 'Unix time of this worker’s last heartbeat', ['worker', 'runner']);
const currentJob = () => gauge('motion_coach_worker_current_job', '1 for each clip this worker is running now', ['worker', 'clip']);

export const workerMetrics = {
  heartbeat(worker: string, runner: string): void {
    heartbeat().set({ worker, runner }, Date.now() / 1000);
  },
  jobStarted(worker: string, clip: string): void {
    currentJob().set({ worker, clip }, 1);
  },
  jobEnded(
    worker: string,
    clip: string,
    r: { runner: string; outcome: string; seconds: number; stageSeconds?: Record<string, number>; frames?: number; personFrames?: number },
  ): void {
    currentJob().remove({ worker, clip });
    jobs().inc({ runner: r.runner, outcome: r.outcome });
    jobDuration().observe({ runner: r.runner, outcome: r.outcome }, r.seconds);
    for (const [stage, s] of Object.entries(r.stageSeconds ?? {})) stageDuration().observe({ runner: r.runner, stage }, s);
    if (r.frames) frames().inc({ runner: r.runner }, r.frames);
    if (r.personFrames) personFrames().inc({ runner: r.runner }, r.personFrames);
  },
};

/** Serves GET /metrics (and /healthz) on `port` (0: any free port); METRICS_TOKEN as a bearer token when set. */
export async function serveWorkerMetrics(port: number, token: string | null): Promise<{ port: number; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://worker');
    if (req.method !== 'GET' || (url.pathname !== '/metrics' && url.pathname !== '/healthz')) {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'GET /metrics or /healthz' }));
      return;
    }
    if (url.pathname === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      return;
    }
    metricsResponse(req.headers.authorization ?? null, token).then(
      (r) => res.writeHead(r.status, { 'content-type': r.contentType, ...r.headers }).end(r.body),
      (err) => res.writeHead(500, { 'content-type': 'text/plain' }).end(String(err)),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => resolve());
  });
  server.unref();
  return { port: (server.address() as AddressInfo).port, close: () => new Promise((r) => server.close(() => r())) };
}
