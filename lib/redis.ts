import { Redis, type RedisOptions } from 'ioredis';
import { getConfig } from './config';

/** REDIS_URL, which `npm start` and the test setup set to the embedded server when the user gave none. */
export function redisUrl(): string {
  const url = getConfig().redisUrl;
  if (!url) throw new Error('REDIS_URL is not set: start the product with `npm start`, which starts an embedded Redis');
  return url;
}

/**
 * A connection for BullMQ (queue, worker, events): it must wait for Redis to come back after a
 * restart instead of failing commands, so `maxRetriesPerRequest` is null (BullMQ requires it).
 */
export function bullConnection(extra: RedisOptions = {}): Redis {
  const conn = new Redis(redisUrl(), { maxRetriesPerRequest: null, ...extra });
  // ioredis reconnects by itself; an outage is reported by /api/health and by the requests that fail,
  // so a connection without a listener must not print "Unhandled error event" (e.g. while stopping)
  conn.on('error', () => {});
  return conn;
}

/**
 * A connection that fails fast while Redis is down (health checks, request handlers): commands wait
 * for a (re)connection at most `commandTimeout`, then fail.
 */
export function failFastRedis(): Redis {
  return new Redis(redisUrl(), {
    maxRetriesPerRequest: 1,
    commandTimeout: 2000,
    connectTimeout: 2000,
    retryStrategy: (times) => Math.min(times * 200, 2000),
    lazyConnect: false,
  });
}

let shared: Redis | null = null;
/** One fail-fast connection per process for small commands (heartbeats, cancel messages, health). */
export function sharedRedis(): Redis {
  if (!shared) {
    shared = failFastRedis();
    shared.on('error', () => {}); // reported by health; ioredis reconnects by itself
  }
  return shared;
}

export async function closeSharedRedis(): Promise<void> {
  const r = shared;
  shared = null;
  if (r) r.disconnect();
}
