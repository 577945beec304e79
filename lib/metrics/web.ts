import { getConfig } from '../config';
import { listWorkers, poseQueue, withQueueTimeout } from '../queue';
import { registerQueueMetrics } from './app';
import { metricsResponse } from './registry';

let registered = false;

/** GET /api/metrics: this web process's metrics plus the queue and the workers' heartbeats (read from Redis). */
export async function webMetrics(request: Request): Promise<Response> {
  if (!registered) {
    registered = true;
    registerQueueMetrics({
      counts: async () => {
        const c = await withQueueTimeout(poseQueue().getJobCounts('waiting', 'prioritized', 'active', 'failed', 'delayed', 'completed'), 'reading the queue');
        return {
          waiting: (c.waiting ?? 0) + (c.prioritized ?? 0),
          active: c.active ?? 0,
          failed: c.failed ?? 0,
          delayed: c.delayed ?? 0,
          completed: c.completed ?? 0,
        };
      },
      workers: async () =>
        (await withQueueTimeout(listWorkers(), 'reading the workers')).map((w) => ({
          id: w.id,
          runner: w.runner,
          lastSeen: Date.parse(w.lastSeen),
          active: w.activeClipIds.length,
        })),
    });
  }
  const r = await metricsResponse(request.headers.get('authorization'), getConfig().metricsToken);
  return new Response(r.body, { status: r.status, headers: { 'content-type': r.contentType, 'cache-control': 'no-store', ...r.headers } });
}
