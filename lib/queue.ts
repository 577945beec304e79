import { Queue, type Job } from 'bullmq';
import { bullConnection, sharedRedis } from './redis';

/**
 * The pose job queue (BullMQ on Redis). One job per clip, job id = clip id, FIFO.
 * Workers in any process or machine take jobs from it; the web process only adds, cancels and reads.
 */
export const POSE_QUEUE = 'pose';
/** Redis pub/sub channel: a clip id is published whenever that clip's status/stage/progress changes. */
export const CLIP_EVENTS_CHANNEL = 'mc:clip-events';
/** Redis pub/sub channel: a clip id is published to ask the worker running it to stop. */
export const CANCEL_CHANNEL = 'mc:cancel';
/** Heartbeat keys of live workers: mc:worker:<id>, JSON, expiring. */
export const WORKER_KEY_PREFIX = 'mc:worker:';

export interface PoseJobData {
  clipId: string;
}

export const JOB_OPTIONS = {
  attempts: 3,
  backoff: { type: 'exponential' as const, delay: 5000 },
  removeOnComplete: { age: 7 * 24 * 3600, count: 1000 },
  removeOnFail: { age: 30 * 24 * 3600, count: 1000 },
};

let queue: Queue<PoseJobData> | null = null;

export function poseQueue(): Queue<PoseJobData> {
  if (!queue) {
    queue = new Queue<PoseJobData>(POSE_QUEUE, { connection: bullConnection() });
    queue.on('error', () => {}); // connection errors surface through health and failed requests
  }
  return queue;
}

export async function closeQueue(): Promise<void> {
  const q = queue;
  queue = null;
  if (q) await q.close();
}

/**
 * Redis (the queue) did not answer in time. The queue's connection waits for Redis to come back
 * instead of failing (BullMQ needs that), so callers that answer a person bound the wait with
 * withQueueTimeout and get this error instead of a hang.
 */
export class QueueUnavailableError extends Error {
  constructor(what: string, ms: number) {
    super(`The job queue (Redis) did not answer within ${ms} ms while ${what}; it is probably down or restarting.`);
    this.name = 'QueueUnavailableError';
  }
}

/** How long a request waits for the queue before it gives up (QueueUnavailableError). */
export const QUEUE_REQUEST_TIMEOUT_MS = 3000;

/**
 * Bounds a queue operation. The operation itself is not cancelled: ioredis keeps its commands and
 * sends them once Redis is back, so every queue operation here must be harmless when it completes late.
 */
export function withQueueTimeout<T>(work: Promise<T>, what: string, ms = QUEUE_REQUEST_TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new QueueUnavailableError(what, ms)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** The state of the clip's job, or 'missing' when Redis has no such job (never queued, or Redis lost it). */
export async function clipJobState(clipId: string): Promise<{ state: string; finishedOn: number | null; failedReason: string | null }> {
  const job = await poseQueue().getJob(clipId);
  if (!job) return { state: 'missing', finishedOn: null, failedReason: null };
  const state = await job.getState();
  // getState answers 'unknown' when the job hash is there but it is in no list (e.g. half-removed)
  return { state, finishedOn: job.finishedOn ?? null, failedReason: job.failedReason ?? null };
}

/** Adds (or re-adds, for a retry) the clip's job at the end of the queue. */
export async function enqueueClip(clipId: string): Promise<void> {
  const q = poseQueue();
  const old = await q.getJob(clipId);
  if (old) {
    const state = await old.getState();
    if (state === 'active') throw new Error(`clip ${clipId} is being processed already`);
    await old.remove();
  }
  await q.add('pose', { clipId }, { ...JOB_OPTIONS, jobId: clipId });
}

/**
 * Stops the clip's job: a waiting/delayed job is removed; an active one is told to stop through Redis
 * (the worker running it aborts and kills its child processes). Resolves once the job is no longer active
 * or after `waitMs`.
 */
export async function cancelClipJob(clipId: string, waitMs = 15_000): Promise<'none' | 'removed' | 'stopped' | 'still-active'> {
  const q = poseQueue();
  const job = await q.getJob(clipId);
  if (!job) return 'none';
  const state = await job.getState();
  if (state !== 'active') {
    await job.remove().catch(() => {});
    return 'removed';
  }
  await sharedRedis().publish(CANCEL_CHANNEL, clipId);
  const until = Date.now() + waitMs;
  while (Date.now() < until) {
    await new Promise((r) => setTimeout(r, 100));
    const s = await job.getState();
    if (s !== 'active') {
      await job.remove().catch(() => {});
      return 'stopped';
    }
  }
  return 'still-active';
}

export async function publishClipChanged(clipId: string): Promise<void> {
  await sharedRedis()
    .publish(CLIP_EVENTS_CHANNEL, clipId)
    .catch(() => {});
}

export interface WorkerHeartbeat {
  id: string;
  host: string;
  pid: number;
  concurrency: number;
  runner: string; // the runner this worker uses: phalp | cpu
  runnerInfo: Record<string, unknown>;
  phalpFound: boolean;
  bodyModelFound: boolean;
  activeClipIds: string[];
  startedAt: string;
  lastSeen: string;
}

export async function listWorkers(): Promise<WorkerHeartbeat[]> {
  const redis = sharedRedis();
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${WORKER_KEY_PREFIX}*`, 'COUNT', 100);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  if (!keys.length) return [];
  const values = await redis.mget(keys);
  return values.filter((v): v is string => !!v).map((v) => JSON.parse(v) as WorkerHeartbeat);
}

export interface QueueStatus {
  waiting: number;
  active: number;
  done: number;
  failed: number;
  delayed: number;
  workers: number;
  slots: number;
  /** mean seconds of recent finished jobs, null when there are none yet */
  meanJobSeconds: number | null;
  queue: { clipId: string; position: number; estimatedWaitSeconds: number | null }[];
}

export async function queueStatus(): Promise<QueueStatus> {
  const q = poseQueue();
  const [counts, waitingJobs, recent, workers] = await Promise.all([
    q.getJobCounts('waiting', 'active', 'completed', 'failed', 'delayed', 'prioritized'),
    q.getJobs(['waiting', 'prioritized'], 0, -1, true),
    q.getJobs(['completed'], 0, 19, false),
    listWorkers(),
  ]);
  const durations = recent
    .filter((j: Job) => j.finishedOn && j.processedOn)
    .map((j: Job) => (j.finishedOn! - j.processedOn!) / 1000);
  const mean = durations.length ? durations.reduce((a, b) => a + b, 0) / durations.length : null;
  const slots = Math.max(1, workers.reduce((n, w) => n + w.concurrency, 0));
  const active = counts.active ?? 0;
  return {
    waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0),
    active,
    done: counts.completed ?? 0,
    failed: counts.failed ?? 0,
    delayed: counts.delayed ?? 0,
    workers: workers.length,
    slots,
    meanJobSeconds: mean,
    // A waiting job starts when the jobs ahead of it (and, on average, half of each active job) are done.
    queue: waitingJobs.map((j, i) => ({
      clipId: j.data.clipId,
      position: i + 1,
      estimatedWaitSeconds: mean === null ? null : Math.round(((i + active * 0.5) / slots) * mean),
    })),
  };
}
