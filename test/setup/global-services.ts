import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { startEmbeddedMongo, superviseMongo, type EmbeddedMongo, type MongoSupervisor } from '../../scripts/services/mongo';
import { startEmbeddedRedis, type EmbeddedRedis } from '../../scripts/services/redis';
import './provided';

/**
 * vitest globalSetup: one real mongod and one real redis-server for the whole test run, in a temp
 * folder, unless MONGODB_URI / REDIS_URL are already set (then those servers are used as they are).
 * Runs in vitest's main process; the teardown stops both. If the run is interrupted, the servers still
 * stop: an exit hook signals them, and watchdog processes stop them if this process dies hard.
 * Set KEEP_TEST_DATA=1 to keep the temp folder (its path is printed).
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = Date.now();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'motion-coach-test-'));
  const log = process.env.TEST_SERVICES_DEBUG ? (line: string) => console.log(`[services] ${line}`) : undefined;

  let mongo: EmbeddedMongo | null = null;
  let redis: EmbeddedRedis | null = null;
  let supervisor: MongoSupervisor | null = null;
  const stopAll = async () => {
    await supervisor?.stop();
    supervisor = null;
    await Promise.allSettled([mongo?.stop(), redis?.stop()]);
    mongo = redis = null;
    if (process.env.KEEP_TEST_DATA) console.log(`[services] test data kept in ${root}`);
    else fs.rmSync(root, { recursive: true, force: true });
  };

  try {
    const externalMongo = process.env.MONGODB_URI?.trim() || null;
    const externalRedis = process.env.REDIS_URL?.trim() || null;
    // start both at once: mongod under Wine takes seconds, redis milliseconds
    [mongo, redis] = await Promise.all([
      externalMongo ? null : startEmbeddedMongo({ dbPath: path.join(root, 'mongo'), log }),
      externalRedis ? null : startEmbeddedRedis({ dir: path.join(root, 'redis'), log }),
    ]);
    const mongoUri = externalMongo ?? mongo!.uri;
    const redisUrl = externalRedis ?? redis!.url;
    project.provide('mongoUri', mongoUri);
    project.provide('redisUrl', redisUrl);
    project.provide('servicesEmbedded', !externalMongo && !externalRedis);
    project.provide('mongoKind', mongo?.kind ?? 'external');
    project.provide('testTmpRoot', root);
    if (mongo) supervisor = superviseMongo(() => mongo, (m) => (mongo = m), log);
    console.log(
      `[services] MongoDB ${mongo ? `${mongo.kind} ${mongo.version} at ${mongoUri}` : `from MONGODB_URI`}, ` +
        `Redis ${redis ? `at ${redisUrl}` : 'from REDIS_URL'} (ready in ${Date.now() - started} ms)`,
    );
  } catch (err) {
    await stopAll();
    throw err;
  }
  return stopAll;
}

