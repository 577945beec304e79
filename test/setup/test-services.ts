import fs from 'node:fs';
import path from 'node:path';
import { inject } from 'vitest';
import { startEmbeddedMongo, type EmbeddedMongo, type EmbeddedMongoOptions } from '../../scripts/services/mongo';
import { startEmbeddedRedis, type EmbeddedRedis, type EmbeddedRedisOptions } from '../../scripts/services/redis';
import './provided';

/**
 * For tests that need their OWN server (to stop, kill or restart it without disturbing the shared
 * ones). Everything started here is stopped after the test file by env.ts (stopTestServers), and
 * lives in the run's temp folder unless a dir is given.
 */

const running = new Set<{ stop(): Promise<void> }>();

/** A fresh folder inside the run's temp folder (deleted at the end of the run). */
export function testTempDir(prefix = 'tmp'): string {
  const root = inject('testTmpRoot');
  fs.mkdirSync(root, { recursive: true });
  return fs.mkdtempSync(path.join(root, `${prefix.replace(/[^\w.-]/g, '_')}-`));
}

/** An extra redis-server; pass the same `dir` (and `port`) again to restart it with its data. */
export async function startTestRedis(opts: Partial<EmbeddedRedisOptions> = {}): Promise<EmbeddedRedis> {
  const redis = await startEmbeddedRedis({ ...opts, dir: opts.dir ?? testTempDir('redis') });
  track(redis);
  return redis;
}

/** An extra mongod; pass the same `dbPath` (and `port`) again to restart it with its data. */
export async function startTestMongo(opts: Partial<EmbeddedMongoOptions> = {}): Promise<EmbeddedMongo> {
  const mongo = await startEmbeddedMongo({ ...opts, dbPath: opts.dbPath ?? testTempDir('mongo') });
  track(mongo);
  return mongo;
}

function track(server: { stop(): Promise<void> }): void {
  const stop = server.stop.bind(server);
  // a stop by the test itself also takes the server off the list
  server.stop = async () => {
    running.delete(server);
    await stop();
  };
  running.add(server);
}

/** Stops every server this file started and has not stopped (env.ts calls it in afterAll). */
export async function stopTestServers(): Promise<void> {
  const servers = [...running];
  running.clear();
  await Promise.allSettled(servers.map((s) => s.stop()));
}
