import { health } from '../health';
import { listWorkers, queueStatus, type QueueStatus, type WorkerHeartbeat } from '../queue';

/**
 * GET /api/pose/health and GET /api/pose/pool-status in the original service's shapes, computed from the
 * live workers' heartbeats and the BullMQ queue. The original had one GPU and one worker; here the pool
 * is every live worker (any number of machines), so:
 *  - `gpu_busy`: no worker slot is free (a new job has to wait), as the original's "subprocess running";
 *  - `device`: 'cuda' when a PHALP worker is live, else 'cpu';
 *  - `models_loaded`: some live worker can process now (CPU runner: its model files found; PHALP spawn
 *    mode: PHALP found; PHALP service mode: the warm service has its models in memory);
 *  - `models.hmr2|vitdet|phalp`: a live PHALP worker holds them in memory (warm service), or finds them
 *    (spawn mode loads them per job);
 *  - `estimated_wait_time_seconds` for a job submitted now: the jobs ahead of it (and half of each running
 *    job) divided by the slots, times the mean of recent job durations; 60 s per job (the original's
 *    rough figure) until a job has finished.
 */

const FALLBACK_JOB_SECONDS = 60;

export interface WorkerView {
  id: string;
  host: string;
  runner: string;
  /** PHALP workers: 'service' (warm) or 'spawn' (track.py per job); null for the CPU runner */
  phalp_mode: string | null;
  models_loaded: boolean;
  model_load_seconds: number | null;
  model_loads: number | null;
  busy: boolean;
  active_jobs: number;
  slots: number;
}

export function workerView(w: WorkerHeartbeat): WorkerView {
  const info = w.runnerInfo ?? {};
  const phalp = w.runner === 'phalp';
  const mode = phalp ? String(info.phalpMode ?? 'spawn') : null;
  const loaded = phalp ? (mode === 'service' ? info.modelsLoaded === true : w.phalpFound) : info.cpuModelsFound !== false;
  return {
    id: w.id,
    host: w.host,
    runner: w.runner,
    phalp_mode: mode,
    models_loaded: loaded,
    model_load_seconds: typeof info.modelLoadSeconds === 'number' ? info.modelLoadSeconds : null,
    model_loads: typeof info.modelLoads === 'number' ? info.modelLoads : null,
    busy: w.activeClipIds.length >= w.concurrency,
    active_jobs: w.activeClipIds.length,
    slots: w.concurrency,
  };
}

function waitSeconds(q: QueueStatus, slotsTotal: number): number {
  const waiting = q.waiting + q.delayed;
  if (slotsTotal > 0 && q.active < slotsTotal && waiting === 0) return 0;
  const per = q.meanJobSeconds ?? FALLBACK_JOB_SECONDS;
  return Math.round(((waiting + q.active * 0.5) / Math.max(1, slotsTotal)) * per);
}

export interface PoolStatusBody {
  timestamp: number;
  pool: { gpu_busy: boolean; max_workers: number; active_workers: number; available_workers: number };
  queue: { length: number; estimated_wait_time_seconds: number };
  jobs: { total: number; queued: number; processing: number; completed: number; failed: number };
  system: { device: 'cuda' | 'cpu'; gpu_available: boolean; models_loaded: boolean };
  workers: WorkerView[];
}

/** `withWorkerNames`: admins see each worker's id and host; everybody else the same list without them. */
export async function poolStatus(opts: { withWorkerNames?: boolean } = {}): Promise<PoolStatusBody> {
  const q = await queueStatus();
  const workers = (await listWorkers()).map(workerView).map((w) => (opts.withWorkerNames ? w : { ...w, id: '', host: '' }));
  const slots = workers.reduce((n, w) => n + w.slots, 0);
  const active = Math.min(q.active, slots || q.active);
  const gpu = workers.some((w) => w.runner === 'phalp');
  const queued = q.waiting + q.delayed;
  return {
    timestamp: Date.now() / 1000,
    pool: { gpu_busy: slots === 0 ? q.active > 0 : active >= slots, max_workers: slots, active_workers: active, available_workers: Math.max(0, slots - active) },
    queue: { length: queued, estimated_wait_time_seconds: waitSeconds(q, slots) },
    jobs: { total: queued + q.active + q.done + q.failed, queued, processing: q.active, completed: q.done, failed: q.failed },
    system: { device: gpu ? 'cuda' : 'cpu', gpu_available: gpu, models_loaded: workers.some((w) => w.models_loaded) },
    workers,
  };
}

export type PoseHealthStatus = 'healthy' | 'initializing' | 'degraded' | 'error';

export interface PoseHealthBody {
  status: PoseHealthStatus;
  timestamp: number;
  models_loaded: boolean;
  gpu_available: boolean;
  device: 'cuda' | 'cpu';
  models: { hmr2: boolean; vitdet: boolean; phalp: boolean };
  pool: { gpu_busy: boolean; queue_length: number; active_jobs: number };
  /** why the status is not healthy */
  message?: string;
  error?: string;
}

/** Queue length above which the original answered 'degraded'. */
const DEGRADED_QUEUE = 10;

export async function poseHealth(): Promise<{ httpStatus: number; body: PoseHealthBody }> {
  const h = await health();
  const timestamp = Date.now() / 1000;
  if (!h.ok) {
    const down = [!h.mongodb.ok && `MongoDB (${h.mongodb.error})`, !h.redis.ok && `Redis (${h.redis.error})`].filter(Boolean).join(', ');
    return {
      httpStatus: 503,
      body: {
        status: 'error', timestamp, models_loaded: false, gpu_available: false, device: 'cpu',
        models: { hmr2: false, vitdet: false, phalp: false }, pool: { gpu_busy: false, queue_length: 0, active_jobs: 0 },
        error: `A backing service is down: ${down}`,
      },
    };
  }
  const p = await poolStatus();
  const phalpReady = p.workers.some((w) => w.runner === 'phalp' && w.models_loaded);
  const body: PoseHealthBody = {
    status: 'healthy',
    timestamp,
    models_loaded: p.system.models_loaded,
    gpu_available: p.system.gpu_available,
    device: p.system.device,
    models: { hmr2: phalpReady, vitdet: phalpReady, phalp: phalpReady },
    pool: { gpu_busy: p.pool.gpu_busy, queue_length: p.queue.length, active_jobs: p.jobs.processing },
  };
  if (p.workers.length === 0) {
    return { httpStatus: 503, body: { ...body, status: 'initializing', message: 'No worker is running: jobs are kept in the queue until one starts.' } };
  }
  if (!body.models_loaded) {
    return { httpStatus: 503, body: { ...body, status: 'initializing', message: 'The workers are still loading their models.' } };
  }
  if (p.queue.length > DEGRADED_QUEUE) return { httpStatus: 200, body: { ...body, status: 'degraded', message: `${p.queue.length} jobs are waiting.` } };
  return { httpStatus: 200, body };
}
