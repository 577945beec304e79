import { HttpError } from '../upload';
import { BlobTooLargeError } from '../storage/blob-store';
import { counter, gauge, histogram } from './registry';

/** The web app's metrics: HTTP requests, uploads, and (read at scrape time) the queue and the workers. */

const httpDuration = () =>
  histogram('motion_coach_http_request_duration_seconds', 'Time to the response headers of API requests, by route template, method and status', ['route', 'method', 'status'], [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
  ]);

export const httpMetrics = {
  observe(method: string, routeTemplate: string, status: number, seconds: number): void {
    httpDuration().observe({ route: routeTemplate, method, status: String(status) }, seconds);
  },
};

const directResponses = () =>
  counter('motion_coach_http_direct_responses_total', "API responses the web server gave without Next.js's router (lib/http/direct-routes.ts), by route template", ['route']);

export const directRouteMetrics = {
  answered(routeTemplate: string): void {
    directResponses().inc({ route: routeTemplate });
  },
};

/** `/api/clips/65ab.../video` with params {id: '65ab...'} -> `/api/clips/[id]/video` (bounded label values). */
export function routeTemplate(pathname: string, params: Record<string, string | string[] | undefined>): string {
  const byValue = new Map<string, string>();
  for (const [k, v] of Object.entries(params)) {
    if (typeof v === 'string') byValue.set(v, `[${k}]`);
    else if (Array.isArray(v)) for (const part of v) byValue.set(part, `[...${k}]`);
  }
  const out: string[] = [];
  for (const seg of pathname.split('/')) {
    const t = byValue.get(decodeURIComponent(seg));
    if (t && t.startsWith('[...')) {
      if (out[out.length - 1] !== t) out.push(t);
    } else out.push(t ?? seg);
  }
  return out.join('/');
}

const uploadBytes = () => counter('motion_coach_upload_bytes_total', 'Bytes of uploaded video received');
const uploadRejections = () => counter('motion_coach_upload_rejections_total', 'Uploads refused, by reason', ['reason']);
const uploadsAccepted = () => counter('motion_coach_uploads_total', 'Uploads accepted as clips');

export function rejectionReason(err: unknown): string {
  if (err instanceof BlobTooLargeError) return 'too_large';
  if (!(err instanceof HttpError)) return 'error';
  const m = err.message;
  if (err.status === 413) return /quota/i.test(m) ? 'quota' : 'too_large';
  if (err.status === 415) return /multipart/i.test(m) ? 'not_multipart' : 'not_video';
  if (err.status === 422) return 'incomplete_video';
  if (err.status === 429) return 'rate_limited';
  if (err.status === 401 || err.status === 403) return 'not_allowed';
  if (err.status === 503) return 'service_unavailable';
  return `http_${err.status}`;
}

export const uploadMetrics = {
  bytes(n: number): void {
    uploadBytes().inc(n);
  },
  accepted(): void {
    uploadsAccepted().inc();
  },
  rejected(err: unknown): void {
    uploadRejections().inc({ reason: rejectionReason(err) });
  },
};

/** Queue and worker gauges, read from Redis when Prometheus scrapes (the web app calls this once). */
export function registerQueueMetrics(read: {
  counts: () => Promise<Record<'waiting' | 'active' | 'failed' | 'delayed' | 'completed', number>>;
  workers: () => Promise<{ id: string; runner: string; lastSeen: number; active: number }[]>;
}): void {
  gauge('motion_coach_queue_jobs', 'Jobs in the pose queue by state (waiting, active, failed, delayed, completed)', ['state'], async function () {
    this.reset();
    const counts = await read.counts().catch(() => null);
    if (!counts) return;
    for (const [state, n] of Object.entries(counts)) this.set({ state }, n);
  });
  gauge('motion_coach_worker_last_heartbeat_seconds', 'Unix time of each live worker’s last heartbeat', ['worker', 'runner'], async function () {
    this.reset();
    const workers = await read.workers().catch(() => []);
    for (const w of workers) this.set({ worker: w.id, runner: w.runner }, w.lastSeen / 1000);
  });
  gauge('motion_coach_worker_active_jobs', 'Jobs each live worker is running now', ['worker', 'runner'], async function () {
    this.reset();
    const workers = await read.workers().catch(() => []);
    for (const w of workers) this.set({ worker: w.id, runner: w.runner }, w.active);
  });
}
