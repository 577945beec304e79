import { Worker } from 'bullmq';
import { renderMp4Job, RENDER_QUEUE, type RenderJobData } from '../lib/export/mp4';
import type { Logger } from '../lib/log';
import { bullConnection } from '../lib/redis';

/**
 * The worker's side of the MP4 export (lib/export/mp4.ts): one render at a time from the `export-render`
 * queue, next to the clip jobs of the same process with its own slot, so renders and tracking never wait
 * for each other. Progress (0..1) goes to the job, where GET /api/clips/:id/export?format=mp4 reads it.
 * On close, a render still running is stopped (its ffmpeg killed) and goes back to the queue's retry.
 */
export function startRenderWorker(log: Logger, opts: { concurrency?: number } = {}): { close(): Promise<void> } {
  const running = new Set<AbortController>();
  const worker = new Worker<RenderJobData>(
    RENDER_QUEUE,
    async (job) => {
      const controller = new AbortController();
      running.add(controller);
      const jobLog = log.child({ clipId: job.data.clipId, jobId: job.id });
      jobLog.info('render.started', { options: job.data.options });
      try {
        const r = await renderMp4Job(job.data, {
          signal: controller.signal,
          onProgress: (f) => void job.updateProgress(f).catch(() => {}),
          onNote: (note) => jobLog.warn('render.skeleton-only', { note }),
        });
        const fps = Math.round((r.frames / r.ms) * 10000) / 10;
        if (r.stored) jobLog.info('render.done', { ms: r.ms, scriptMs: r.scriptMs, frames: r.frames, fps, silhouette: r.silhouette });
        else jobLog.info('render.discarded', { ms: r.ms, frames: r.frames, reason: 'the clip was deleted or got new results during the render' });
        return r;
      } catch (err) {
        jobLog.error('render.failed', { error: err });
        throw err;
      } finally {
        running.delete(controller);
      }
    },
    { connection: bullConnection(), concurrency: opts.concurrency ?? 1, lockDuration: 60_000 },
  );
  worker.on('error', () => {}); // Redis outages are reported by the clip worker and /api/health
  return {
    async close() {
      const closing = worker.close();
      for (const c of running) c.abort(new Error('worker stopping'));
      await closing;
    },
  };
}
