/**
 * Prints how long the embedded servers take to start and stop on this machine:
 *   npx tsx scripts/services/measure-start.ts           (warm: the machine cache is already prepared)
 *   npx tsx scripts/services/measure-start.ts --cold    (first run: empty cache in a temp folder)
 * Figures are wall-clock and noisy on a shared machine; run it a few times.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startEmbeddedMongo } from './mongo';
import { startEmbeddedRedis } from './redis';

async function main(): Promise<void> {
  const cold = process.argv.includes('--cold');
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'motion-coach-measure-'));
  if (cold) process.env.MOTION_COACH_CACHE_DIR = path.join(root, 'cache');
  try {
    const label = cold ? 'first run, empty cache' : 'warm';
    for (const dbState of ['new dbPath', 'existing dbPath']) {
      let t = performance.now();
      const mongo = await startEmbeddedMongo({ dbPath: path.join(root, 'mongo') });
      console.log(`mongo start (${mongo.kind} ${mongo.version}, ${label}, ${dbState}): ${(performance.now() - t).toFixed(0)} ms`);
      t = performance.now();
      await mongo.stop();
      console.log(`mongo stop: ${(performance.now() - t).toFixed(0)} ms`);
    }
    for (const dirState of ['new dir', 'existing AOF']) {
      let t = performance.now();
      const redis = await startEmbeddedRedis({ dir: path.join(root, 'redis') });
      console.log(`redis start (${dirState}): ${(performance.now() - t).toFixed(0)} ms`);
      t = performance.now();
      await redis.stop();
      console.log(`redis stop: ${(performance.now() - t).toFixed(0)} ms`);
    }
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
