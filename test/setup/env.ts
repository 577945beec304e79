import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, inject } from 'vitest';
import { stopTestServers } from './test-services';
import './provided';

/**
 * vitest setupFiles: runs in each test file's process before the file is imported, so lib/config
 * sees MONGODB_URI, REDIS_URL and a DATA_DIR of the file's own (an empty temp folder).
 * When the harness started the servers itself, each file also begins with empty databases and an
 * empty Redis: files do not see each other's data. (With MONGODB_URI/REDIS_URL given, nothing is wiped.)
 */

process.env.MONGODB_URI = inject('mongoUri');
process.env.REDIS_URL = inject('redisUrl');
const dataDir = fs.mkdtempSync(path.join(inject('testTmpRoot'), 'data-'));
process.env.DATA_DIR = dataDir;

beforeAll(async () => {
  if (!inject('servicesEmbedded')) return;
  await Promise.all([emptyMongo(inject('mongoUri')), emptyRedis(inject('redisUrl'))]);
});

afterAll(async () => {
  await stopTestServers();
});

async function emptyMongo(uri: string): Promise<void> {
  const { MongoClient } = await import('mongodb');
  // 60 s: long enough to wait out a restart of a test mongod that died (test/setup/global-services.ts)
  const client = await MongoClient.connect(uri, { serverSelectionTimeoutMS: 60_000 });
  try {
    // Documents are deleted, collections and their indexes kept: dropping every database made each file
    // build all its indexes again, and each index build is a mongod thread that ends, which is where
    // Wine's mongod crashes (test/setup/global-services.ts restarts it, but the running file fails).
    const { databases } = await client.db('admin').admin().listDatabases({ nameOnly: true });
    for (const { name } of databases) {
      if (['admin', 'local', 'config'].includes(name)) continue;
      const db = client.db(name);
      for (const c of await db.listCollections({ type: 'collection' }, { nameOnly: true }).toArray()) {
        if (!c.name.startsWith('system.')) await db.collection(c.name).deleteMany({});
      }
    }
  } finally {
    await client.close();
  }
}

async function emptyRedis(url: string): Promise<void> {
  const { Redis } = await import('ioredis');
  const redis = new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: true });
  try {
    await redis.connect();
    await redis.flushall();
  } finally {
    redis.disconnect();
  }
}
