import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getClipDoc } from '../../lib/clips/repo';
import { acceptUpload } from '../../lib/clips/service';
import { closeDb } from '../../lib/db';
import { closeQueue } from '../../lib/queue';
import { closeSharedRedis } from '../../lib/redis';
import { testUser } from '../auth/helpers';
import { fileChunks, multipartRequest, startWorker, waitForWorkerReady, type WorkerProcess } from '../foundation/helpers';
import { followFrameEvents, framesApi, posesApi, recordIds, uniqueSampleCopy, type IdsByFrame } from './helpers';

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

    const served: IdsByFrame = new Map();
    const whileProcessing: { final: number; fetchedTo: number; posesFinal: number | null }[] = [];
    let loaded = 0;
    const events = await followFrameEvents(user, clip.id, async (e) => {
      if (e.final_frames <= loaded) return;
      // only the new range, as the page fetches it
      const res = await framesApi(user, clip.id, `from=${loaded}&to=${e.final_frames - 1}`);
      expect(res.status, JSON.stringify(res.body).slice(0, 300)).toBe(200);
      expect(res.body.from).toBe(loaded);
      expect(res.body.final_frames).toBeGreaterThanOrEqual(e.final_frames);
      recordIds(served, res.body.frames);
      loaded = res.body.to + 1;
      if (e.status === 'processing' && !res.body.complete) {
        // a frame not final yet is refused, saying how many are
        const ahead = res.body.final_frames < 230 ? await framesApi(user, clip.id, `from=${res.body.final_frames}`) : null;
        const posesNow = whileProcessing.length === 0 ? await posesApi(user, clip.id) : null;
        if (posesNow) {
          expect(posesNow.status).toBe(200);
          expect(posesNow.headers.get('cache-control')).toContain('no-store');
          const finalInPoses = Number(posesNow.headers.get('x-final-frames'));
          expect(finalInPoses).toBeGreaterThanOrEqual(e.final_frames);
          // every frame of the clip is there; those not final yet are placeholders with nobody in them
          expect(posesNow.seq!.frames).toHaveLength(230);
          expect(posesNow.seq!.frames.slice(finalInPoses).every((f) => f.persons.length === 0)).toBe(true);
          recordIds(served, posesNow.seq!.frames.slice(0, finalInPoses));
        }
        // (tracking goes on meanwhile: by now that frame may have become final)
        if (ahead?.status === 409) expect(ahead.body.final_frames).toBeLessThanOrEqual(res.body.final_frames);
        else if (ahead) expect([ahead.status, ahead.body.from]).toEqual([200, res.body.final_frames]);
        whileProcessing.push({ final: e.final_frames, fetchedTo: res.body.to, posesFinal: posesNow ? Number(posesNow.headers.get('x-final-frames')) : null });
      }
    });

    const done = await getClipDoc(clip.id);
    expect(done?.status, done?.error ?? '').toBe('done');
    // frames became available in several chunks before the job was done
    expect(whileProcessing.length, `${JSON.stringify(events)}\n${worker.output().slice(-3000)}`).toBeGreaterThanOrEqual(2);
    expect(whileProcessing[0]!.final).toBeLessThan(230);
    // the final count only grows
    const counts = events.map((e) => e.final_frames);
    expect(counts).toEqual([...counts].sort((a, b) => a - b));
    expect(counts.at(-1)).toBe(230);
    expect(events.at(-1)!.status).toBe('done');

    // the whole result: every frame served earlier has the same track ids now
    const all = await framesApi(user, clip.id, 'from=0&to=229');
    expect(all.body).toMatchObject({ total_frames: 230, final_frames: 230, complete: true });
    const finalIds: IdsByFrame = new Map();
    recordIds(finalIds, all.body.frames);
    for (const [frame, ids] of served) expect(finalIds.get(frame), `frame ${frame}`).toBe(ids);
    expect(served.size).toBe(230);
    // the done clip's poses payload is the whole result
    const poses = await posesApi(user, clip.id);
    expect(poses.headers.get('x-final-frames')).toBe('230');
    recordIds(finalIds, poses.seq!.frames);
    console.log(`[streaming] frames events: ${events.map((e) => `${e.final_frames}@${e.at}ms(${e.status})`).join(' ')}`);
  });
});
