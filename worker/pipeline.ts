import { getConfig } from '../lib/config';
import { getClipDoc, updateClipIf } from '../lib/clips/repo';
import type { ClipStage } from '../lib/clips/types';
import { resetFinalFrames, saveSequence } from '../lib/frames/repo';
import { FinalFramesWriter } from '../lib/frames/stream-writer';
import type { Logger } from '../lib/log';
import { computeTrackStats } from '../lib/pose/coverage';
import { publishClipChanged } from '../lib/queue';
import { blobStore, clipKeys } from '../lib/storage';
import { attemptLayout } from '../lib/storage/layout';
import { analyseClip } from './analyse';
import type { AttemptContext, WorkStage } from './attempt-context';
import { extractThenTrack } from './extract-then-track';
import { prepareAttemptDir, removeAttemptDir } from './leftovers';
import { selectRunner } from './runners/select';
import { RunnerError, type PoseRunner, type RunnerProgress } from './runners/types';
import { trackWhileExtracting } from './track-while-extracting';

/**
 * The job: everything that turns an uploaded clip into stored poses, stage by stage.
 * Every stage is idempotent (outputs are rewritten from scratch), so a job that is picked up again
 * after a worker died repeats work but never duplicates results.
 */

/** Share of the overall progress bar each stage takes, in pipeline order. */
const STAGE_SPAN: Record<WorkStage, [number, number]> = {
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

export interface PipelineResult {
  frames: number;
  personFrames: number;
  runner: string;
  /** seconds per stage (probing, extracting, transcoding, tracking, ingesting, plus fetching and storing) */
  stageSeconds: Record<string, number>;
}

/**
 * Runs one attempt in a scratch folder of its own (DATA_DIR/work/<clip>/attempt-<n>): the source is
 * fetched from the blob store (or read in place with the disk backend), the outputs (frame index,
 * playable copy, thumbnail) are put back into the store, and the scratch is removed however the
 * attempt ends. A worker killed mid-job leaves it behind; its next start removes it (cleanAbandonedScratch).
 */
export async function processClip(ctx: PipelineContext): Promise<PipelineResult> {
  const config = getConfig();
  await prepareAttemptDir(config.dataDir, ctx.clipId, ctx.attempt).then(({ killed }) => {
    if (killed.length) ctx.log.warn('job.killed-leftovers', { clipId: ctx.clipId, pids: killed });
  });
  try {
    return await runAttempt(ctx);
  } finally {
    await removeAttemptDir(config.dataDir, ctx.clipId, ctx.attempt).catch((err) => ctx.log.warn('job.scratch-cleanup-failed', { error: err }));
  }
}

async function runAttempt(ctx: PipelineContext): Promise<PipelineResult> {
  const { clipId, signal, log } = ctx;
  const config = getConfig();
  const scratch = attemptLayout(config.dataDir, clipId, ctx.attempt);
  const keys = clipKeys(clipId);
  const store = blobStore();
  const stageSeconds: Record<string, number> = {};
  const logTail: string[] = [];

  const claimed = await updateClipIf(
    clipId,
    ['queued', 'processing'],
    { status: 'processing', stage: 'probing', progress: 0, startedAt: new Date(), error: null, errorCode: null, logTail: [] },
    { attempts: 1 },
  );
  if (!claimed) throw new ClipGoneError(clipId);
  // frames an earlier attempt stored while it ran are not this attempt's: pages start over from frame 0
  await resetFinalFrames(clipId);
  await publishClipChanged(clipId);

  // Progress: written to MongoDB and published at most every 250 ms, and at every stage change.
  let lastWrite = 0;
  let currentStage: ClipStage = 'probing';
  const progress = async (stage: WorkStage, within: number, extra: { etaSeconds?: number; logLine?: string } = {}) => {
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
  const timed = async <T>(stage: WorkStage, fn: () => Promise<T>): Promise<T> => {
    const t0 = Date.now();
    await progress(stage, 0);
    signal.throwIfAborted();
    const result = await fn();
    stageSeconds[stage] = (Date.now() - t0) / 1000;
    log.info('job.stage', { clipId, stage, ms: Date.now() - t0 });
    return result;
  };

  // the source: read in place when the store keeps it on this disk, else fetched into the scratch
  const fetchSource = async () => {
    const t0 = Date.now();
    const local = store.localPath(keys.source);
    if (local) return local;
    await store.fetchToFile(keys.source, scratch.source);
    stageSeconds.fetching = (Date.now() - t0) / 1000;
    return scratch.source;
  };

  const chosen: PoseRunner = await selectRunner(config);
  const onRunnerProgress = (p: RunnerProgress) =>
    void progress('tracking', p.progress, { etaSeconds: p.etaSeconds, logLine: p.logLine }).catch(() => {});
  // results while tracking runs: frames the runner calls final are stored in chunks, and pages told
  const writer = new FinalFramesWriter(clipId, { log, onStored: () => publishClipChanged(clipId) });
  const runContext = { onProgress: onRunnerProgress, onFinalFrames: writer.push.bind(writer), signal };
  const attempt: AttemptContext = {
    clipId,
    config,
    signal,
    log,
    scratch,
    keys,
    store,
    stageSeconds,
    // the runner's working folder inside the attempt's scratch (space-free: PHALP builds unquoted shell commands)
    workDir: scratch.runDir,
    writer,
    runContext,
    progress,
    timed,
    fetchSource,
  };

  // probing, extracting, transcoding and tracking: next to each other when the runner can start on the
  // first extracted frames (the CPU runner), else one after the other (PHALP)
  const { sequence, runner, runnerNote } = chosen.runWhileExtracting
    ? { sequence: await trackWhileExtracting(attempt, chosen), runner: chosen, runnerNote: null }
    : await extractThenTrack(attempt, chosen);

  const stored = await timed('ingesting', async () => {
    // a clip canceled while tracking must not get frames written back
    const doc = await getClipDoc(clipId);
    if (!doc || doc.status !== 'processing') {
      await writer.stop();
      throw new ClipGoneError(clipId);
    }
    // frames stored while tracking ran stay as they were served; the rest is written now
    const streamed = await writer.flush();
    await writer.stop();
    const diverged = writer.firstDivergence(sequence.frames);
    if (diverged >= 0) log.warn('frames.stream-diverged', { clipId, frame: diverged, streamed });
    return saveSequence(clipId, sequence, { from: streamed });
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
  // the JPGs and the local source copy were only needed here: the scratch goes in processClip's finally
  return { frames: stored.frames, personFrames: stored.personFrames, runner: runner.kind, stageSeconds };
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
