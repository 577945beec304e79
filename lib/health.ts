import { getDb } from './db';
import { listWorkers, queueStatus, type WorkerHeartbeat } from './queue';
import { sharedRedis } from './redis';

export interface Health {
  ok: boolean;
  mongodb: { ok: boolean; ms?: number; error?: string };
  redis: { ok: boolean; ms?: number; error?: string };
  workers: WorkerHeartbeat[];
  queue: { waiting: number; active: number; done: number; failed: number } | null;
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([p, new Promise<T>((_, rej) => setTimeout(() => rej(new Error(`${what} did not answer within ${ms} ms`)), ms))]);
}

async function check(fn: () => Promise<unknown>, what: string): Promise<{ ok: boolean; ms?: number; error?: string }> {
  const t0 = Date.now();
  try {
    await withTimeout(fn(), 2000, what);
    return { ok: true, ms: Date.now() - t0 };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
}

/** GET /api/health: MongoDB, Redis, live workers and the queue; `ok` is false when MongoDB or Redis is down. */
export async function health(): Promise<Health> {
  const [mongodb, redis] = await Promise.all([
    check(async () => (await getDb()).command({ ping: 1 }), 'MongoDB'),
    check(() => sharedRedis().ping(), 'Redis'),
  ]);
  let workers: WorkerHeartbeat[] = [];
  let queue: Health['queue'] = null;
  if (redis.ok) {
    [workers, queue] = await Promise.all([
      withTimeout(listWorkers(), 2000, 'Redis').catch(() => []),
      withTimeout(queueStatus(), 2000, 'Redis')
        .then((q) => ({ waiting: q.waiting, active: q.active, done: q.done, failed: q.failed }))
        .catch(() => null),
    ]);
  }
  return { ok: mongodb.ok && redis.ok, mongodb, redis, workers, queue };
}
