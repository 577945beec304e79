import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { getClipDoc } from '../../lib/clips/repo';
import { acceptUpload } from '../../lib/clips/service';
import { getConfig } from '../../lib/config';
import { closeDb } from '../../lib/db';
import { closeQueue, poseQueue } from '../../lib/queue';
import { closeSharedRedis } from '../../lib/redis';
import { clipLayout } from '../../lib/storage/layout';
import { fileChunks, multipartRequest, waitFor, waitForWorkerReady, type WorkerProcess } from '../foundation/helpers';
import { testTempDir } from '../setup/test-services';
import { descendantsOf, frameDocs, makeClip, processesMentioning, waitForStatus, workerPool } from './helpers';
import { testOwner } from '../auth/helpers';

/** Graceful worker shutdown (SIGTERM) with real worker processes and the PHALP TEST DOUBLE. */
let tmp: string;
const pool = workerPool();

beforeAll(() => {
  tmp = testTempDir('clips');
});
afterEach(async () => {
  await pool.killAll();
});
afterAll(async () => {
  await closeQueue();
  await closeSharedRedis();
  await closeDb();
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function exitWithin(w: WorkerProcess, ms: number): Promise<number | null> {
  return Promise.race([
    w.stop('SIGTERM'),
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`worker still running ${ms} ms after SIGTERM:\n${w.output().slice(-3000)}`)), ms)),
  ]);
}

describe('worker shutdown (SIGTERM)', { timeout: 180_000 }, () => {
  // spawn: one track.py per job (its command line names the job's folder); service: the warm PHALP service
  // (models loaded once; jobs reach it over its protocol, so no process names the folder)
  it.each(['spawn', 'service'] as const)('during a job (PHALP_MODE=%s): the job is handed back, another worker finishes it, no duplicates; the first exits 0 and leaves no child', async (mode) => {
    const w1 = pool.start({ PHALP_MODE: mode, PHALP_DOUBLE_FPS: '3', WORKER_SHUTDOWN_GRACE_MS: '1500' }); // 72 frames: ~24 s of tracking
    await waitForWorkerReady(w1);
    const clip = await acceptUpload(await testOwner(), multipartRequest({ name: 'sigterm.mp4', chunks: fileChunks(makeClip(tmp, 3)) }));
    await waitFor(async () => {
      const doc = await getClipDoc(clip.id);
      return doc?.stage === 'tracking' && doc.progress > 0.3 ? doc : null;
    }, 60_000, 'tracking under way');
    const runsDir = clipLayout(getConfig().dataDir, clip.id).runsDir;
    if (mode === 'spawn') expect(processesMentioning(runsDir).length).toBeGreaterThan(0);
    const children = descendantsOf(w1.child.pid!);
    expect(children.length).toBeGreaterThan(0);

    const t0 = Date.now();
    const code = await exitWithin(w1, 20_000);
    expect(code, w1.output().slice(-3000)).toBe(0);
    // the grace (1.5 s) is much shorter than the rest of the tracking: it was stopped, not finished
    expect(Date.now() - t0).toBeLessThan(12_000);
    expect(w1.output()).toContain('"job.returned"');
    expect(children.filter(isAlive)).toEqual([]);
    expect(processesMentioning(runsDir)).toEqual([]);
    // back in the queue, and the page says so
    expect(await (await poseQueue().getJob(clip.id))?.getState()).toBe('waiting');
    expect((await getClipDoc(clip.id))?.status).toBe('queued');

    const w2 = pool.start({ PHALP_MODE: mode, PHALP_DOUBLE_FPS: '200' });
    await waitForWorkerReady(w2);
    const done = await waitForStatus(clip.id, 'done', [w1, w2], 120_000);
    expect(await frameDocs(clip.id)).toEqual({ count: 72, distinct: 72 });
    expect(done.attempts).toBe(2); // claimed once by each worker
  });

  it('while idle: exits 0 promptly', async () => {
    const w = pool.start({ PHALP_DOUBLE_FPS: '200' });
    await waitForWorkerReady(w);
    const t0 = Date.now();
    expect(await exitWithin(w, 10_000)).toBe(0);
    const ms = Date.now() - t0;
    console.log(`idle worker SIGTERM -> exit: ${ms} ms`);
    expect(ms).toBeLessThan(3000);
  });
});
