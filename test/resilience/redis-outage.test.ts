import fs from 'node:fs';
import fsp from 'node:fs/promises';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GET as getClipRoute } from '../../app/api/clips/[id]/route';
import { POST as postClipRoute } from '../../app/api/clips/route';
import { getClipDoc } from '../../lib/clips/repo';
import { acceptUpload, cancelClip, deleteClip, retryClip } from '../../lib/clips/service';
import { getConfig, resetConfigForTests } from '../../lib/config';
import { closeDb } from '../../lib/db';
import { closeQueue, poseQueue } from '../../lib/queue';
import { closeSharedRedis } from '../../lib/redis';
import { clipLayout, uploadsDir } from '../../lib/storage/layout';
import { HttpError } from '../../lib/upload';
import type { EmbeddedRedis } from '../../scripts/services/redis';
import { fileChunks, multipartRequest, waitFor, waitForWorkerReady } from '../foundation/helpers';
import { startTestRedis, testTempDir } from '../setup/test-services';
import { frameDocs, makeClip, waitForStatus, workerPool } from './helpers';
import { signedIn, testUser, type TestUser } from '../auth/helpers';


/**
 * Redis outages against real processes: this file runs its OWN redis-server (AOF on, as in
 * production) so it can kill -9 it and start it again on the same port and data folder. MongoDB is
 * the shared test server. Workers are real processes running the PHALP TEST DOUBLE.
 */
let redis: EmbeddedRedis;
let redisDir: string;
let tmp: string;
const pool = workerPool();

let redisDown = false;
async function killRedis(): Promise<void> {
  redisDown = true;
  await redis.kill('SIGKILL');
}
async function restartRedis(): Promise<void> {
  redis = await startTestRedis({ dir: redisDir, port: redis.port });
  redisDown = false;
}

beforeAll(async () => {
  redisDir = testTempDir('own-redis');
  redis = await startTestRedis({ dir: redisDir });
  process.env.REDIS_URL = redis.url;
  resetConfigForTests();
  tmp = testTempDir('clips');
});

// a real account (and session) made before any outage of the test
let user: TestUser;
beforeAll(async () => {
  user = await testUser();
});
afterEach(async () => {
  await pool.killAll();
  // every test starts with Redis up
  if (redisDown) await restartRedis();
});
afterAll(async () => {
  await closeQueue();
  await closeSharedRedis();
  await closeDb();
});

describe('Redis outages', { timeout: 180_000 }, () => {
  it('an upload while Redis is down is kept (201, queued), the clip page answers promptly, and it is processed once Redis is back', async () => {
    await killRedis();

    const t0 = Date.now();
    const res = await postClipRoute(signedIn(multipartRequest({ name: 'during-outage.mp4', chunks: fileChunks(makeClip(tmp, 2)) }), user));
    const body = await res.json();
    // before the fix the request hung: the queue's connection waits for Redis without limit
    expect(Date.now() - t0).toBeLessThan(15_000);
    expect(res.status, JSON.stringify(body)).toBe(201);
    expect(body.status).toBe('queued');
    const id: string = body.id;
    expect((await getClipDoc(id))?.status).toBe('queued');
    expect(fs.existsSync(clipLayout(getConfig().dataDir, id).source)).toBe(true);
    expect(await fsp.readdir(uploadsDir(getConfig().dataDir)).catch(() => [])).toEqual([]);

    // GET /api/clips/:id of a queued clip reads its queue position from Redis: bounded, not a hang
    const t1 = Date.now();
    const view = await getClipRoute(signedIn(new Request(`http://localhost/api/clips/${id}`), user), { params: Promise.resolve({ id }) });
    expect(view.status).toBe(200);
    expect((await view.json()).queuePosition).toBeNull();
    expect(Date.now() - t1).toBeLessThan(6000);

    await restartRedis();
    const w = pool.start({ PHALP_DOUBLE_FPS: '200' });
    await waitForWorkerReady(w);
    const done = await waitForStatus(id, 'done', [w], 120_000);
    expect(await frameDocs(id)).toEqual({ count: done.video!.frameCount, distinct: done.video!.frameCount });
  });

  it('cancel, retry and delete while Redis is down answer promptly and never leave a clip without a way forward', async () => {
    const clip = await acceptUpload(user.actor, multipartRequest({ name: 'cancel-in-outage.mp4', chunks: fileChunks(makeClip(tmp, 1)) }));
    await killRedis();
    const timed = async <T>(fn: () => Promise<T>): Promise<T> => {
      const t0 = Date.now();
      try {
        return await fn();
      } finally {
        expect(Date.now() - t0).toBeLessThan(8000); // before the fix each of these hung until Redis came back
      }
    };
    // cancel: the clip is canceled all the same (a waiting job is dropped when a worker claims it)
    expect((await timed(() => cancelClip(user.actor, clip.id))).status).toBe('canceled');
    // retry: queued in MongoDB; the reconciler adds the job once Redis is back
    expect((await timed(() => retryClip(user.actor, clip.id))).status).toBe('queued');
    // delete: refused with a clear 503, nothing removed (a running job could write the files again)
    const err = await timed(() => deleteClip(user.actor, clip.id).then(() => null, (e) => e));
    expect(err).toBeInstanceOf(HttpError);
    expect((err as HttpError).status).toBe(503);
    expect((err as HttpError).message).toMatch(/Redis.*try deleting it again/);
    expect(await getClipDoc(clip.id)).not.toBeNull();
    expect(fs.existsSync(clipLayout(getConfig().dataDir, clip.id).source)).toBe(true);

    await restartRedis();
    // once Redis is back the delete goes through
    await waitFor(async () => (await deleteClip(user.actor, clip.id).then(() => true, () => false)) || null, 20_000, 'delete after the restart');
    expect(await getClipDoc(clip.id)).toBeNull();
  });

  it('the reconciler queues again a clip whose job was removed, and a processing clip whose job Redis lost (FLUSHALL)', async () => {
    // 1) a queued clip whose job is gone (removed from Redis), no worker running
    const lost = await acceptUpload(user.actor, multipartRequest({ name: 'job-removed.mp4', chunks: fileChunks(makeClip(tmp, 1)) }));
    await (await poseQueue().getJob(lost.id))!.remove();
    expect(await poseQueue().getJob(lost.id)).toBeUndefined();

    // 2) a clip being processed when its worker died AND Redis lost everything
    const w1 = pool.start({ PHALP_DOUBLE_FPS: '4' });
    await waitForWorkerReady(w1);
    const running = await acceptUpload(user.actor, multipartRequest({ name: 'flushed.mp4', chunks: fileChunks(makeClip(tmp, 3)) }));
    // the first clip has no job: w1 only ever sees the second one
    await waitFor(async () => (await getClipDoc(running.id))?.stage === 'tracking', 60_000, 'tracking under way');
    await w1.stop('SIGKILL');
    const admin = new Redis(redis.url);
    await admin.flushall();
    admin.disconnect();
    expect((await getClipDoc(running.id))?.status).toBe('processing');

    // a new worker reconciles at start: both clips get a job again and end done, each frame stored once
    const w2 = pool.start({ PHALP_DOUBLE_FPS: '200' });
    await waitForWorkerReady(w2);
    for (const clip of [lost, running]) {
      const done = await waitForStatus(clip.id, 'done', [w1, w2], 120_000);
      expect(await frameDocs(clip.id)).toEqual({ count: done.video!.frameCount, distinct: done.video!.frameCount });
    }
    expect(w2.output()).toContain('"clip.requeued"');
  });

  it('Redis killed (-9) and restarted while the worker is idle: the worker reconnects by itself and takes the next upload', async () => {
    const w = pool.start({ PHALP_DOUBLE_FPS: '200' });
    await waitForWorkerReady(w);
    await killRedis();
    await new Promise((r) => setTimeout(r, 2000));
    await restartRedis();
    const clip = await acceptUpload(user.actor, multipartRequest({ name: 'after-restart.mp4', chunks: fileChunks(makeClip(tmp, 1)) }));
    const done = await waitForStatus(clip.id, 'done', [w], 90_000);
    expect(await frameDocs(clip.id)).toEqual({ count: done.video!.frameCount, distinct: done.video!.frameCount });
    expect(w.child.exitCode).toBeNull();
  });

  it('Redis killed (-9) and restarted while a job runs: the job still ends done, never stuck, one document per frame', async () => {
    const w = pool.start({ PHALP_DOUBLE_FPS: '8' }); // 72 frames: ~9 s of tracking
    await waitForWorkerReady(w);
    const clip = await acceptUpload(user.actor, multipartRequest({ name: 'mid-job.mp4', chunks: fileChunks(makeClip(tmp, 3)) }));
    await waitFor(async () => {
      const doc = await getClipDoc(clip.id);
      return doc?.stage === 'tracking' && doc.progress > 0.3 ? doc : null;
    }, 60_000, 'tracking under way');
    await killRedis();
    // down for longer than the job lock (WORKER_LOCK_MS 4 s in tests): the lock is lost for sure
    await new Promise((r) => setTimeout(r, 5000));
    await restartRedis();
    const done = await waitForStatus(clip.id, 'done', [w], 120_000);
    expect(await frameDocs(clip.id)).toEqual({ count: 72, distinct: 72 });
    // and it stays done: a stalled copy of the job that runs again must not undo or duplicate anything
    await new Promise((r) => setTimeout(r, 6000));
    expect((await getClipDoc(clip.id))?.status).toBe('done');
    expect(await frameDocs(clip.id)).toEqual({ count: 72, distinct: 72 });
    expect(done.finishedAt).toEqual((await getClipDoc(clip.id))?.finishedAt);
    // the queue agrees: the job ends completed (a stalled re-run finds the results stored), not failed
    await waitFor(async () => (await (await poseQueue().getJob(clip.id))?.getState()) === 'completed', 20_000, 'job completed');
  });
});
