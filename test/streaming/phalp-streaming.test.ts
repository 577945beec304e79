import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acceptUpload } from '../../lib/clips/service';
import { closeDb } from '../../lib/db';
import { closeQueue } from '../../lib/queue';
import { closeSharedRedis } from '../../lib/redis';
import { testUser } from '../auth/helpers';
import { fileChunks, multipartRequest, PHALP_DOUBLE_DIR, startWorker, waitForWorkerReady, type WorkerProcess } from '../foundation/helpers';
import { expectFramesWhileTracking, uniqueSampleCopy } from './helpers';

/**
 * Results while tracking runs, PHALP: a real worker with the warm PHALP service, PHALP played by its TEST
 * DOUBLE (test/fixtures/phalp-double; two people, one confirmed late, one leaving and held as a ghost),
 * paced at 10 frames/s. The service hands out frames once they are past PHALP's track-confirmation
 * window (phalp.n_init = 5); the page-like follower checks the same promises as for the CPU runner.
 */
let tmp: string;
let worker: WorkerProcess | null = null;

beforeAll(async () => {
  tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'mc-stream-phalp-'));
});
afterAll(async () => {
  await worker?.stop('SIGKILL');
  await closeQueue();
  await closeSharedRedis();
  await closeDb();
  await fsp.rm(tmp, { recursive: true, force: true });
});

describe('PHALP (warm service, test double): frames are served in chunks while tracking runs', { timeout: 300_000 }, () => {
  it('final counts grow while processing, each new range is served, and served track ids never change', async () => {
    worker = startWorker({
      POSE_RUNNER: 'phalp',
      PHALP_MODE: 'service',
      PHALP_DIR: PHALP_DOUBLE_DIR,
      PHALP_PYTHON: '/usr/bin/python3',
      PHALP_DOUBLE_PEOPLE: '2',
      PHALP_DOUBLE_FPS: '10',
    });
    await waitForWorkerReady(worker);
    const user = await testUser();
    const clip = await acceptUpload(user.actor, multipartRequest({ name: 'stream.mp4', chunks: fileChunks(uniqueSampleCopy(tmp)) }));
    const events = await expectFramesWhileTracking(user, clip.id, 230, () => worker!.output());
    // chunks, not one frame at a time nor all at once: at 10 frames/s and one event per 0.5 s at most
    const whileProcessing = events.filter((e) => e.status === 'processing' && e.final_frames > 0);
    expect(whileProcessing.length).toBeGreaterThanOrEqual(5);
    console.log(`[streaming] frames events: ${events.map((e) => `${e.final_frames}@${e.at}ms(${e.status})`).join(' ')}`);
  });
});
