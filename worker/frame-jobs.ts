import { Worker } from 'bullmq';
import { personJson } from '../lib/frames/api';
import type { Logger } from '../lib/log';
import { DECODE_FAILURE, FRAME_QUEUE, type FrameJobData, type FrameJobResult } from '../lib/pose-service/frame-queue';
import { bullConnection } from '../lib/redis';
import { analyseStill, closeStillAnalyser, StillImageError } from './runners/cpu/single-frame';

/**
 * The worker's side of POST /pose/hybrid (lib/pose-service/frame-queue.ts): single images, one at a
 * time, measured by the built-in CPU runner (its models stay loaded in one thread between images).
 * Runs next to the clip jobs of the same process; it takes no clip slot.
 */
export function startFrameWorker(log: Logger): { close(): Promise<void> } {
  const worker = new Worker<FrameJobData, FrameJobResult>(
    FRAME_QUEUE,
    async (job) => {
      const t0 = performance.now();
      try {
        const r = await analyseStill(Buffer.from(job.data.image, 'base64'));
        const ms = Math.round(performance.now() - t0);
        log.info('frame.done', { jobId: job.id, ms, persons: r.persons.length });
        return {
          runner: 'cpu',
          width: r.width,
          height: r.height,
          intrinsics: r.intrinsics,
          joint_set: r.joint_set,
          joint_names: r.joint_names,
          persons: r.persons.map((p) => personJson(p, r.joint_set)),
          processing_time_ms: ms,
        };
      } catch (err) {
        if (err instanceof StillImageError) throw new Error(err.message.startsWith(DECODE_FAILURE) ? err.message : `${DECODE_FAILURE}: ${err.message}`);
        log.error('frame.failed', { jobId: job.id, error: err });
        throw err;
      }
    },
    { connection: bullConnection(), concurrency: 1 },
  );
  worker.on('error', () => {}); // Redis outages are reported by the clip worker and /api/health
  return {
    async close() {
      await worker.close();
      await closeStillAnalyser();
    },
  };
}
