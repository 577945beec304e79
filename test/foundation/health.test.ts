import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resetConfigForTests } from '../../lib/config';
import { closeDb } from '../../lib/db';
import { health } from '../../lib/health';
import { closeQueue } from '../../lib/queue';
import { closeSharedRedis } from '../../lib/redis';
import { startEmbeddedRedis, type EmbeddedRedis } from '../../scripts/services/redis';
import { GET as healthRoute } from '../../app/api/health/route';
import { waitFor } from './helpers';
import { signedIn, testUser } from '../auth/helpers';

// the detail (MongoDB, Redis, workers, queue) is for admins; anonymous callers get only {ok}
const asAdmin = async () => healthRoute(signedIn(new Request('http://localhost/api/health'), await testUser()));

/** This file runs its own redis-server so it can stop it and start it again on the same port. */
let redis: EmbeddedRedis;
let dir: string;
beforeAll(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'mc-health-'));
  redis = await startEmbeddedRedis({ dir });
  process.env.REDIS_URL = redis.url;
  resetConfigForTests();
});
afterAll(async () => {
  await closeQueue();
  await closeSharedRedis();
  await closeDb();
  await redis.stop().catch(() => {});
  await fsp.rm(dir, { recursive: true, force: true });
});

describe('GET /api/health', () => {
  it('is 200 with MongoDB and Redis up, 503 while Redis is down, and 200 again once it is back', async () => {
    const anonymous = await healthRoute(new Request('http://localhost/api/health'));
    expect(anonymous.status).toBe(200);
    expect(await anonymous.json()).toEqual({ ok: true });
    const up = await asAdmin();
    const body = await up.json();
    expect(up.status, JSON.stringify(body)).toBe(200);
    expect(body.mongodb.ok).toBe(true);
    expect(body.redis.ok).toBe(true);
    expect(body.queue).toMatchObject({ waiting: expect.any(Number), active: expect.any(Number) });
    expect(Array.isArray(body.workers)).toBe(true);

    await redis.kill('SIGKILL');
    const t0 = Date.now();
    const down = await asAdmin();
    expect(down.status).toBe(503);
    expect((await down.json()).redis.ok).toBe(false);
    const anonymousDown = await healthRoute(new Request('http://localhost/api/health'));
    expect(anonymousDown.status).toBe(503);
    expect(await anonymousDown.json()).toEqual({ ok: false });
    expect(Date.now() - t0).toBeLessThan(5000); // fails fast, does not hang

    // Redis restarts on the same port with the same data: the app reconnects by itself
    redis = await startEmbeddedRedis({ dir, port: redis.port });
    await waitFor(async () => (await health()).ok, 20_000, 'health ok after the Redis restart');
  });
});
