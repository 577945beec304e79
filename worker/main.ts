import { DelayedError, UnrecoverableError, WaitingError, Worker, type Job } from 'bullmq';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import { getConfig } from '../lib/config';
import { ensureClipIndexes, getClipDoc, queuedState, updateClipIf } from '../lib/clips/repo';
import { requeueOrphanedClips } from '../lib/clips/service';
import { closeDb, isMongoUnavailable, setMongoServerSelectionTimeout } from '../lib/db';
import { ensureFrameIndexes } from '../lib/frames/repo';
import { createLogger } from '../lib/log';
import { CANCEL_CHANNEL, JOB_OPTIONS, POSE_QUEUE, WORKER_KEY_PREFIX, type PoseJobData, type WorkerHeartbeat } from '../lib/queue';
import { bullConnection, closeSharedRedis, sharedRedis } from '../lib/redis';
import { serveWorkerMetrics, workerMetrics } from '../lib/metrics/worker';
import { blobStore } from '../lib/storage';
import { checkSystemPrograms } from '../scripts/services/system-check';
import { cleanAbandonedScratch } from './leftovers';
import { startFrameWorker } from './frame-jobs';
import { startRenderWorker } from './render-jobs';
import { ClipGoneError, markFailed, processClip } from './pipeline';
import { fallbackRunner, selectRunner } from './runners/select';
import { RunnerError } from './runners/types';

/**
 * The worker process: takes pose jobs from the queue and runs the pipeline. Any number of these can
 * run on any machine that reaches the same Redis, MongoDB and DATA_DIR.
 *
 * Signals: SIGTERM/SIGINT stop taking jobs and let the current ones finish for up to
 * WORKER_SHUTDOWN_GRACE_MS; jobs still running then are stopped and put back in the queue for another
 * worker. A second signal stops at once (children killed, jobs returned).
 *
 * Outages: Redis connections wait for Redis to come back (BullMQ reconnects by itself); MongoDB
 * operations wait up to WORKER_MONGO_WAIT_MS for a server, and a job that still could not reach MongoDB
 * is put back (delayed) without using up one of its attempts. The reconciler (at start and every
 * WORKER_RECONCILE_MS) queues again clips whose job Redis lost.
 */
const log = createLogger({ proc: 'worker' });

async function main() {
  const config = getConfig();
  checkSystemPrograms(['ffmpeg', 'ffprobe']);
  const workerId = `${os.hostname()}-${process.pid}-${crypto.randomBytes(3).toString('hex')}`;
  const lockMs = Number(process.env.WORKER_LOCK_MS ?? 30_000);
  const graceMs = Number(process.env.WORKER_SHUTDOWN_GRACE_MS ?? 60_000);
  const reconcileMs = Number(process.env.WORKER_RECONCILE_MS ?? 60_000);
  // older than two heartbeats: a live worker whose job Redis lost has announced the clip again by then
  const reconcileMinAgeMs = Number(process.env.WORKER_RECONCILE_MIN_AGE_MS ?? 30_000);
  const mongoRetryMs = Number(process.env.WORKER_MONGO_RETRY_MS ?? 5_000);
  setMongoServerSelectionTimeout(Number(process.env.WORKER_MONGO_WAIT_MS ?? 30_000));

  // A signal before the worker is up has nothing to hand back: leave at once, cleanly.
  let shutdown: (signal: string) => Promise<void> = async (signal) => {
    log.info('worker.stopped', { signal, during: 'start' });
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  // indexes: a MongoDB that is restarting (or not up yet) is waited for, not a reason to exit
  for (let wait = 1000; ; wait = Math.min(wait * 2, 15_000)) {
    try {
      await ensureClipIndexes();
      await ensureFrameIndexes();
      break;
    } catch (err) {
      if (!isMongoUnavailable(err)) throw err;
      log.warn('worker.mongo-unavailable', { during: 'start', retryInMs: wait, error: err });
      await new Promise((r) => setTimeout(r, wait));
    }
  }
  // what a killed worker left on this machine (scratch folders, their processes) and in the store (partial writes)
  const abandoned = await cleanAbandonedScratch(config.dataDir);
  if (abandoned.removed.length) log.warn('worker.removed-abandoned-scratch', { ...abandoned });
  const swept = await blobStore().sweepIncomplete(6 * 3600_000).catch((err) => (log.warn('worker.sweep-failed', { error: err }), 0));
  if (swept) log.warn('worker.swept-incomplete-blobs', { swept });

  let runner;
  try {
    runner = await selectRunner(config);
  } catch (err) {
    const fallback = err instanceof RunnerError ? fallbackRunner(config) : null;
    if (!fallback) {
      // a configuration problem: restarting would not help (exit code 2 tells `npm start` so)
      log.error('worker.no-runner', { error: err });
      process.stderr.write(`worker: ${(err as Error).message}\n`);
      process.exit(2);
    }
    log.warn('worker.runner-fallback', { reason: (err as Error).message, runner: fallback.kind });
    runner = fallback;
  }
  const runnerInfo = await runner.describe();
  // the CPU runner's threads load their models now, not at the first job (warm)
  if (runner.warm) {
    const t0 = Date.now();
    const kind = runner.kind;
    await runner.warm().then(
      () => log.info('worker.runner-warm', { runner: kind, ms: Date.now() - t0 }),
      (err: unknown) => log.warn('worker.runner-warm-failed', { runner: kind, error: err }),
    );
  }
  const bodyModelFound = fs.existsSync(config.smplModelPath);
  log.info('worker.starting', { workerId, runner: runner.kind, runnerInfo, bodyModelFound, concurrency: config.workerConcurrency });

  /** AbortControllers of the jobs this process is running, by clip id. */
  const running = new Map<string, { controller: AbortController; reason: 'cancel' | 'shutdown' | null }>();

  // Cancel requests arrive over Redis pub/sub; only the worker running the clip acts on them.
  const subscriber = bullConnection();
  await subscriber.subscribe(CANCEL_CHANNEL);
  subscriber.on('message', (_channel: string, clipId: string) => {
    const entry = running.get(clipId);
    if (entry) {
      log.info('job.cancel-requested', { clipId, workerId });
      entry.reason = 'cancel';
      entry.controller.abort(new Error('canceled'));
    }
  });

  const processor = async (job: Job<PoseJobData>, token?: string) => {
    const { clipId } = job.data;
    const attempt = job.attemptsMade + 1;
    const maxAttempts = job.opts.attempts ?? JOB_OPTIONS.attempts;
    const jobLog = log.child({ clipId, jobId: job.id, attempt, workerId });
    const entry = { controller: new AbortController(), reason: null as 'cancel' | 'shutdown' | null };
    running.set(clipId, entry);
    const t0 = Date.now();
    jobLog.info('job.started');
    workerMetrics.jobStarted(workerId, clipId);
    let outcome = 'failed';
    let done: Awaited<ReturnType<typeof processClip>> | null = null;
    try {
      const result = await processClip({
        clipId,
        attempt,
        signal: entry.controller.signal,
        log: jobLog,
        reportJobProgress: (p) => job.updateProgress(p),
      });
      jobLog.info('job.done', { ms: Date.now() - t0, ...result });
      outcome = 'done';
      done = result;
      return result;
    } catch (err) {
      if (entry.reason === 'shutdown' && token) {
        // Hand the job back untouched: another worker (or this one after a restart) takes it.
        jobLog.warn('job.returned', { ms: Date.now() - t0 });
        outcome = 'returned';
        await job.moveToWait(token);
        // the page shows it waiting again, not frozen mid-stage
        await updateClipIf(clipId, ['processing'], queuedState()).catch(() => {});
        throw new WaitingError();
      }
      if (err instanceof ClipGoneError && entry.reason !== 'cancel' && (await getClipDoc(clipId).catch(() => null))?.status === 'done') {
        // a copy of a job that did finish: its lock was lost (e.g. Redis restarted mid-job), BullMQ saw it
        // as stalled and ran it again; the results are stored, so this run ends as done too
        jobLog.info('job.already-done', { ms: Date.now() - t0 });
        outcome = 'already-done';
        return { frames: 0, personFrames: 0, runner: 'none', alreadyDone: true };
      }
      if (entry.reason === 'cancel' || err instanceof ClipGoneError) {
        jobLog.info('job.canceled', { ms: Date.now() - t0 });
        outcome = 'canceled';
        throw new UnrecoverableError('canceled');
      }
      if (isMongoUnavailable(err) && token) {
        // MongoDB is down or restarting: not the clip's fault, so no attempt is used up; try again later
        jobLog.warn('job.mongo-unavailable', { ms: Date.now() - t0, error: err, retryInMs: mongoRetryMs });
        outcome = 'delayed';
        await job.moveToDelayed(Date.now() + mongoRetryMs, token);
        throw new DelayedError();
      }
      // a runner error says whether trying again can help (a missing model cannot; a busy GPU can)
      const retryable = !(err instanceof RunnerError) || err.options.retryable !== false;
      const final = !retryable || attempt >= maxAttempts;
      jobLog.error('job.failed', { ms: Date.now() - t0, error: err, final });
      outcome = final ? 'failed' : 'retry';
      await markFailed(clipId, err, final, attempt, maxAttempts).catch((e) => jobLog.error('job.mark-failed-error', { error: e }));
      throw final ? new UnrecoverableError(err instanceof Error ? err.message : String(err)) : err;
    } finally {
      running.delete(clipId);
      workerMetrics.jobEnded(workerId, clipId, {
        runner: done?.runner ?? runner.kind,
        outcome,
        seconds: (Date.now() - t0) / 1000,
        stageSeconds: done?.stageSeconds,
        frames: done?.frames,
        personFrames: done?.personFrames,
      });
    }
  };

  const worker = new Worker<PoseJobData>(POSE_QUEUE, processor, {
    connection: bullConnection(),
    concurrency: config.workerConcurrency,
    lockDuration: lockMs,
    stalledInterval: lockMs,
    maxStalledCount: 2,
  });
  // while Redis is down every reconnection attempt reports the same error: log each message once per 30 s
  const lastLogged = new Map<string, number>();
  worker.on('error', (err) => {
    const now = Date.now();
    if (now - (lastLogged.get(err.message) ?? 0) < 30_000) return;
    lastLogged.set(err.message, now);
    log.error('worker.error', { error: err });
  });
  worker.on('stalled', (jobId) => log.warn('job.stalled', { jobId }));
  // single images of POST /pose/hybrid (lib/pose-service/frame-queue.ts), next to the clip jobs
  const frameWorker = startFrameWorker(log);
  // MP4 exports (lib/export/mp4.ts): their own queue and slot, so a render never holds up tracking
  const renderWorker = startRenderWorker(log);

  const startedAt = new Date().toISOString();
  const beat = async () => {
    const hb: WorkerHeartbeat = {
      id: workerId,
      host: os.hostname(),
      pid: process.pid,
      concurrency: config.workerConcurrency,
      runner: runner.kind,
      // described at every beat: a warm PHALP service reports whether its models are loaded, and how often they were
      runnerInfo: await runner.describe().catch(() => runnerInfo),
      phalpFound: Boolean(runnerInfo.phalpFound),
      bodyModelFound,
      activeClipIds: [...running.keys()],
      startedAt,
      lastSeen: new Date().toISOString(),
    };
    await sharedRedis().set(`${WORKER_KEY_PREFIX}${workerId}`, JSON.stringify(hb), 'PX', 30_000);
    workerMetrics.heartbeat(workerId, runner.kind);
  };
  const beatTimer = setInterval(() => void beat().catch(() => {}), 10_000);
  await beat().catch(() => {});

  let reconciling = false;
  const reconcile = async () => {
    if (reconciling) return;
    reconciling = true;
    try {
      const r = await requeueOrphanedClips({ minAgeMs: reconcileMinAgeMs, runningHere: running.keys() });
      if (r.requeued.length || r.markedFailed.length) log.warn('worker.reconciled', { ...r });
    } catch (err) {
      log.warn('worker.reconcile-error', { error: err }); // MongoDB or Redis down: the next round tries again
    } finally {
      reconciling = false;
    }
  };
  const reconcileTimer = setInterval(() => void reconcile(), reconcileMs);
  void reconcile();
  if (config.workerMetricsPort !== null) {
    const metrics = await serveWorkerMetrics(config.workerMetricsPort, config.metricsToken);
    log.info('worker.metrics', { port: metrics.port, guarded: Boolean(config.metricsToken) });
  }
  log.info('worker.ready', { workerId });

  let stopping = false;
  shutdown = async (signal: string) => {
    if (stopping) {
      log.warn('worker.force-stop', { signal });
      for (const e of running.values()) {
        e.reason = 'shutdown';
        e.controller.abort(new Error('worker stopping'));
      }
      return;
    }
    stopping = true;
    log.info('worker.stopping', { signal, active: running.size, graceMs });
    clearInterval(reconcileTimer);
    // if Redis or MongoDB is down, closing could wait for them forever: a stop must not hang
    setTimeout(() => {
      log.error('worker.stop-timeout', { active: [...running.keys()] });
      process.exit(1);
    }, graceMs + 20_000).unref();
    const grace = setTimeout(() => {
      for (const e of running.values()) {
        e.reason = 'shutdown';
        e.controller.abort(new Error('worker stopping'));
      }
    }, graceMs);
    await worker.close();
    await frameWorker.close().catch(() => {});
    await renderWorker.close().catch(() => {});
    await (runner as { close?: () => Promise<void> }).close?.().catch(() => {}); // the warm PHALP service
    clearTimeout(grace);
    clearInterval(beatTimer);
    await sharedRedis().del(`${WORKER_KEY_PREFIX}${workerId}`).catch(() => {});
    subscriber.disconnect();
    await closeSharedRedis();
    await closeDb();
    log.info('worker.stopped');
    process.exit(0);
  };
}

main().catch((err) => {
  log.error('worker.fatal', { error: err });
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
