import fsp from 'node:fs/promises';
import path from 'node:path';
import { getConfig } from '../lib/config';
import { getClipDoc, updateClip, updateClipIf } from '../lib/clips/repo';
import type { ClipStage } from '../lib/clips/types';
import { saveSequence } from '../lib/frames/repo';
import type { Logger } from '../lib/log';
import { computeTrackStats } from '../lib/pose/coverage';
import type { PoseSequence } from '../lib/pose/types';
import { publishClipChanged } from '../lib/queue';
import { clipLayout } from '../lib/storage/layout';
import { extractFrames } from '../lib/video/extract';
import { writeFrameIndex } from '../lib/video/frame-index';
import { makePlayable, makeThumbnail } from '../lib/video/playable';
import { probeVideo } from '../lib/video/probe';
import { analyseClip } from './analyse';
import { killLeftoverProcesses } from './leftovers';
import { fallbackRunner, selectRunner } from './runners/select';
import { RunnerError, type PoseRunner, type RunnerProgress } from './runners/types';

/**
 * The job: everything that turns an uploaded clip into stored poses, stage by stage.
 * Every stage is idempotent (outputs are rewritten from scratch), so a job that is picked up again
 * after a worker died repeats work but never duplicates results.
 */

/** Share of the overall progress bar each stage takes, in pipeline order. */
const STAGE_SPAN: Record<Exclude<ClipStage, 'uploaded' | 'done'>, [number, number]> = {
  probing: [0, 0.02],
  extracting: [0.02, 0.14],
  transcoding: [0.14, 0.22],
  tracking: [0.22, 0.96],
  ingesting: [0.96, 1],
};

export class ClipGoneError extends Error {
  constructor(clipId: string) {
    super(`clip ${clipId} was canceled or deleted`);
    this.name = 'ClipGoneError';
  }
}

export interface PipelineContext {
  clipId: string;
  attempt: number;
  signal: AbortSignal;
  log: Logger;
  /** reports progress to the queue (BullMQ job progress) */
  reportJobProgress(p: { stage: string; progress: number; etaSeconds?: number | null }): Promise<void>;
}

export async function processClip(ctx: PipelineContext): Promise<{ frames: number; personFrames: number; runner: string }> {
  const { clipId, signal, log } = ctx;
  const config = getConfig();
  const layout = clipLayout(config.dataDir, clipId);
  const stageSeconds: Record<string, number> = {};
  const logTail: string[] = [];

  const claimed = await updateClipIf(
    clipId,
    ['queued', 'processing'],
    { status: 'processing', stage: 'probing', progress: 0, startedAt: new Date(), error: null, errorCode: null, logTail: [] },
    { attempts: 1 },
  );
  if (!claimed) throw new ClipGoneError(clipId);
  await publishClipChanged(clipId);

  // Progress: written to MongoDB and published at most every 250 ms, and at every stage change.
  let lastWrite = 0;
  let currentStage: ClipStage = 'probing';
  const progress = async (stage: Exclude<ClipStage, 'uploaded' | 'done'>, within: number, extra: { etaSeconds?: number; logLine?: string } = {}) => {
    if (extra.logLine) {
      logTail.push(extra.logLine);
      if (logTail.length > 30) logTail.shift();
    }
    const [a, b] = STAGE_SPAN[stage];
    const overall = a + (b - a) * Math.min(1, Math.max(0, within));
    const now = Date.now();
    if (stage === currentStage && now - lastWrite < 250) return;
    currentStage = stage;
    lastWrite = now;
    const eta = extra.etaSeconds ?? null;
    const doc = await updateClipIf(clipId, ['processing'], { stage, progress: overall, etaSeconds: eta, logTail: [...logTail] });
    if (!doc) throw new ClipGoneError(clipId);
    await ctx.reportJobProgress({ stage, progress: overall, etaSeconds: eta });
    await publishClipChanged(clipId);
  };
  const timed = async <T>(stage: Exclude<ClipStage, 'uploaded' | 'done'>, fn: () => Promise<T>): Promise<T> => {
    const t0 = Date.now();
    await progress(stage, 0);
    signal.throwIfAborted();
    const result = await fn();
    stageSeconds[stage] = (Date.now() - t0) / 1000;
    log.info('job.stage', { clipId, stage, ms: Date.now() - t0 });
    return result;
  };

  const video = await timed('probing', () => probeVideo(layout.source, { signal }));
  await updateClip(clipId, { video });

  await fsp.rm(layout.framesDir, { recursive: true, force: true });
  await fsp.mkdir(layout.framesDir, { recursive: true });
  const frameIndex = await timed('extracting', () =>
    extractFrames(layout.source, layout.framesDir, {
      signal,
      info: video, // already probed exactly: no second full decode
      onProgress: (done, total) => void progress('extracting', total ? done / total : 0).catch(() => {}),
    }),
  );

  await writeFrameIndex(layout.frameIndex, frameIndex);

  await timed('transcoding', async () => {
    if (!video.browserPlayable) {
      await makePlayable(layout.source, layout.playable, {
        signal,
        info: video,
        onProgress: (done: number, total: number) => void progress('transcoding', total ? done / total : 0).catch(() => {}),
      });
    } else {
      await fsp.rm(layout.playable, { force: true });
    }
    await makeThumbnail(layout.framesDir, layout.thumbnail);
  });
  await updateClip(clipId, { hasPlayableCopy: !video.browserPlayable });

  // A fresh, space-free working folder for this attempt (PHALP builds unquoted shell commands).
  const workDir = path.join(layout.runsDir, `attempt-${ctx.attempt}`);
  const leftovers = await killLeftoverProcesses(layout.runsDir);
  if (leftovers.length) log.warn('job.killed-leftovers', { clipId, pids: leftovers });
  await fsp.rm(workDir, { recursive: true, force: true });
  await fsp.mkdir(workDir, { recursive: true });
  const prepared = { clipId, framesDir: layout.framesDir, frameIndex, video, workDir };

  let runner: PoseRunner = await selectRunner(config);
  let runnerNote: string | null = null;
  const onRunnerProgress = (p: RunnerProgress) =>
    void progress('tracking', p.progress, { etaSeconds: p.etaSeconds, logLine: p.logLine }).catch(() => {});
  const sequence: PoseSequence = await timed('tracking', async () => {
    await updateClip(clipId, { runner: runner.kind });
    try {
      return await runner.run(prepared, { onProgress: onRunnerProgress, signal });
    } catch (err) {
      // fall back only when the runner says its failure is one it cannot fix (no GPU, missing models)
      if (!(err instanceof RunnerError) || signal.aborted || !err.options.fallbackAllowed) throw err;
      const fallback = fallbackRunner(config, runner);
      if (!fallback) throw err;
      runnerNote = `${runner.kind.toUpperCase()} failed (${err.message}); the built-in ${fallback.kind.toUpperCase()} runner was used instead.`;
      log.warn('job.runner-fallback', { clipId, from: runner.kind, to: fallback.kind, reason: err.message, code: err.code });
      runner = fallback;
      await updateClip(clipId, { runner: runner.kind, runnerNote });
      return runner.run(prepared, { onProgress: onRunnerProgress, signal });
    }
  });

  const stored = await timed('ingesting', async () => {
    // a clip canceled while tracking must not get frames written back
    const doc = await getClipDoc(clipId);
    if (!doc || doc.status !== 'processing') throw new ClipGoneError(clipId);
    return saveSequence(clipId, sequence);
  });
  const tracks = computeTrackStats(sequence);
  const analysis = analyseClip(clipId, sequence, log);

  const done = await updateClipIf(clipId, ['processing'], {
    status: 'done',
    stage: 'done',
    progress: 1,
    etaSeconds: null,
    runner: runner.kind,
    runnerNote,
    finishedAt: new Date(),
    stats: { tracks, personFrames: stored.personFrames, stageSeconds, analysis },
  });
  if (!done) throw new ClipGoneError(clipId);
  await publishClipChanged(clipId);
  // The JPGs were only needed by the runner; the player uses the video and the stored poses.
  await fsp.rm(layout.framesDir, { recursive: true, force: true });
  return { frames: stored.frames, personFrames: stored.personFrames, runner: runner.kind };
}

/** Records a failure the user sees on the clip page. */
export async function markFailed(clipId: string, err: unknown, final: boolean, attempt: number, maxAttempts: number): Promise<void> {
  const runnerErr = err instanceof RunnerError ? err : null;
  const message = err instanceof Error ? err.message : String(err);
  const doc = await getClipDoc(clipId);
  if (!doc || doc.status === 'canceled') return;
  if (final) {
    await updateClipIf(clipId, ['processing', 'queued'], {
      status: 'failed',
      etaSeconds: null,
      error: message,
      errorCode: runnerErr?.code ?? null,
      logTail: runnerErr?.options.logTail ?? doc.logTail,
      finishedAt: new Date(),
      // "will be retried" no longer holds; a fallback note ("... was used instead") never reaches here
      runnerNote: null,
    });
  } else {
    // back to the start of the line: the next attempt begins from the first stage
    await updateClipIf(clipId, ['processing'], {
      status: 'queued',
      stage: 'uploaded',
      progress: 0,
      etaSeconds: null,
      error: null,
      runnerNote: `Attempt ${attempt} of ${maxAttempts} failed (${message}); it will be retried.`,
    });
  }
  await publishClipChanged(clipId);
}
