import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acceptUpload } from '../../lib/clips/service';
import { closeDb } from '../../lib/db';
import { closeQueue } from '../../lib/queue';
import { closeSharedRedis } from '../../lib/redis';
import { testUser } from '../auth/helpers';
import { fileChunks, multipartRequest, startWorker, waitForWorkerReady, type WorkerProcess } from '../foundation/helpers';
import { expectFramesWhileTracking, uniqueSampleCopy } from './helpers';

/**
 * Results while tracking runs, CPU runner: a real worker process tracks the real sample clip; the test
 * follows the clip's event stream like a page (real route handlers, real MongoDB and Redis) and fetches
 * only each new range of final frames from the frames API while the job runs.
 */
let tmp: string;
let worker: WorkerProcess | null = null;

beforeAll(async () => {
  tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'mc-stream-cpu-'));
});
afterAll(async () => {
  await worker?.stop('SIGKILL');
  await closeQueue();
  await closeSharedRedis();
  await closeDb();
  await fsp.rm(tmp, { recursive: true, force: true });
});

describe('CPU runner: frames are served in chunks while tracking runs', { timeout: 300_000 }, () => {
  it('final counts grow while processing, each new range is served, and served track ids never change', async () => {
    worker = startWorker({ POSE_RUNNER: 'cpu' });
    await waitForWorkerReady(worker);
    const user = await testUser();
    const clip = await acceptUpload(user.actor, multipartRequest({ name: 'stream.mp4', chunks: fileChunks(uniqueSampleCopy(tmp)) }));

    const events = await expectFramesWhileTracking(user, clip.id, 230, () => worker!.output());
    console.log(`[streaming] frames events: ${events.map((e) => `${e.final_frames}@${e.at}ms(${e.status})`).join(' ')}`);
  });
});
