import fsp from 'node:fs/promises';
import { Readable } from 'node:stream';
import { getConfig } from '../lib/config';
import { getClipDoc, updateClip, updateClipIf } from '../lib/clips/repo';
import type { ClipStage } from '../lib/clips/types';
import { resetFinalFrames, saveSequence } from '../lib/frames/repo';
import { FinalFramesWriter } from '../lib/frames/stream-writer';
import type { Logger } from '../lib/log';
import { computeTrackStats } from '../lib/pose/coverage';
import type { PoseSequence } from '../lib/pose/types';
import { publishClipChanged } from '../lib/queue';
import { blobStore, clipKeys } from '../lib/storage';
import { attemptLayout } from '../lib/storage/layout';
import { extractFrames, FramesOnDisk } from '../lib/video/extract';
import { VideoToolError } from '../lib/video/ffmpeg';
import type { FrameIndex } from '../lib/video/types';
import { checkFrameIndex } from '../lib/video/frame-index';
import { makePlayable, makeThumbnail } from '../lib/video/playable';
import { probePackets, probeVideo, sameFrameIndex } from '../lib/video/probe';
import { analyseClip } from './analyse';
import { prepareAttemptDir, removeAttemptDir } from './leftovers';
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

/** The frames the extraction decoded are not the ones the container's packets promised (count or times). */
class FrameIndexMismatch extends Error {
  constructor(
    readonly packets: FrameIndex,
    readonly decoded: FrameIndex,
  ) {
    const at = packets.pts.findIndex((t, i) => t !== decoded.pts[i]);
    super(`the video's packets promise ${packets.frameCount} frames, ${decoded.frameCount} decode${at >= 0 ? `; frame ${at} at ${decoded.pts[at]} s, not ${packets.pts[at]} s` : ''}`);
    this.name = 'FrameIndexMismatch';
  }
}

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

  // the source: read in place when the store keeps it on this disk, else fetched into the scratch
  const fetchSource = async () => {
    const t0 = Date.now();
    const local = store.localPath(keys.source);
    if (local) return local;
    await store.fetchToFile(keys.source, scratch.source);
    stageSeconds.fetching = (Date.now() - t0) / 1000;
    return scratch.source;
  };

  let runner: PoseRunner = await selectRunner(config);
  let runnerNote: string | null = null;
  const onRunnerProgress = (p: RunnerProgress) =>
    void progress('tracking', p.progress, { etaSeconds: p.etaSeconds, logLine: p.logLine }).catch(() => {});
  // results while tracking runs: frames the runner calls final are stored in chunks, and pages told
  const writer = new FinalFramesWriter(clipId, { log, onStored: () => publishClipChanged(clipId) });
  const runContext = { onProgress: onRunnerProgress, onFinalFrames: writer.push.bind(writer), signal };
  // The runner's working folder inside the attempt's scratch (space-free: PHALP builds unquoted shell commands).
  const workDir = scratch.runDir;

  let sequence: PoseSequence;
  if (runner.runWhileExtracting) {
    // Tracking starts on the first extracted frames (the CPU runner). The frame count and each frame's
    // time come from reading the container's packets (no decoding), so frames are handed out as final at
    // once; the extraction (which decodes) checks that index when it ends: a video whose decoded frames
    // differ from its packets starts over (pages reload) with the decoded index, tracked from the JPGs.
    // The playable copy is made next to tracking, at a lower priority (until it exists the player plays
    // the source when the browser can).
    const streamRunner = runner;
    const { source, early } = await timed('probing', async () => {
      const source = await fetchSource();
      return { source, early: await probePackets(source, { signal }) };
    });
    await updateClip(clipId, { video: early.info });
    checkFrameIndex(early.index, keys.frameIndex);
    await store.putStream(keys.frameIndex, Readable.from([Buffer.from(JSON.stringify(early.index))]), { contentType: 'application/json', signal });
    // the work next to tracking (extraction, playable copy) stops with the job or when tracking fails
    const side = new AbortController();
    const stopSide = () => side.abort(signal.reason);
    signal.addEventListener('abort', stopSide, { once: true });
    const t0 = Date.now();
    await fsp.mkdir(scratch.framesDir, { recursive: true });
    await fsp.mkdir(workDir, { recursive: true });
    const onDisk = new FramesOnDisk();
    const extraction = extractFrames(source, scratch.framesDir, { signal: side.signal, info: early.info, live: onDisk, niceness: 5 }).then((index) => {
      stageSeconds.extracting = (Date.now() - t0) / 1000;
      return index;
    });
    const verified = extraction.then((index) => {
      if (!sameFrameIndex(index, early.index)) throw new FrameIndexMismatch(early.index, index);
    });
    // the playable copy and the thumbnail, once every frame is out, next to tracking
    const copied = extraction.then(async () => {
      const t1 = Date.now();
      await makeThumbnail(scratch.framesDir, scratch.thumbnail);
      await store.putFile(keys.thumbnail, scratch.thumbnail, { contentType: 'image/jpeg', signal: side.signal });
      if (!early.info.browserPlayable) {
        await makePlayable(source, scratch.playable, { signal: side.signal, info: early.info, niceness: 10 });
        await store.putFile(keys.playable, scratch.playable, { contentType: 'video/mp4', signal: side.signal });
      } else {
        await store.delete(keys.playable);
      }
      await updateClip(clipId, { hasPlayableCopy: !early.info.browserPlayable });
      await publishClipChanged(clipId);
      stageSeconds.transcoding = (Date.now() - t1) / 1000;
    });
    // each is awaited below (or by the runner); a failure before that is not an unhandled rejection
    for (const p of [extraction, verified, copied]) p.catch(() => {});
    try {
      sequence = await timed('tracking', async () => {
        await updateClip(clipId, { runner: runner.kind });
        const prepared = { clipId, framesDir: scratch.framesDir, frameIndex: early.index, video: early.info, workDir };
        try {
          return await streamRunner.runWhileExtracting!({ ...prepared, frames: onDisk, verified }, runContext);
        } catch (err) {
          const mismatch = await verified.then(() => null, (e: unknown) => (e instanceof FrameIndexMismatch ? e : null));
          if (!mismatch || signal.aborted) throw err;
          // the decoded frames are not the packets: start over from the JPGs with the exact index
          log.warn('job.frame-index-mismatch', { clipId, detail: mismatch.message });
          await writer.reset();
          const video = await probeVideo(source, { signal });
          const frameIndex = { ...mismatch.decoded, fps: video.fps };
          if (frameIndex.frameCount !== video.frameCount) {
            throw new VideoToolError(`frame extraction lost frames: the video has ${video.frameCount} frames (counted by decoding) but ffmpeg wrote ${frameIndex.frameCount} JPGs`);
          }
          checkFrameIndex(frameIndex, keys.frameIndex);
          await store.putStream(keys.frameIndex, Readable.from([Buffer.from(JSON.stringify(frameIndex))]), { contentType: 'application/json', signal });
          await updateClip(clipId, { video });
          return streamRunner.run({ ...prepared, frameIndex, video }, runContext);
        }
      });
      await copied;
    } catch (err) {
      await writer.stop(); // a failed or canceled run stores nothing more
      // what went wrong first: an extraction failure shows as itself, not as the runner's
      const first = await Promise.race([extraction.then(() => null, (e: unknown) => e), new Promise<null>((r) => setTimeout(() => r(null), 50))]);
      side.abort(err);
      await Promise.allSettled([copied, extraction]);
      throw first ?? err;
    } finally {
      signal.removeEventListener('abort', stopSide);
    }
  } else {
    const { source, video } = await timed('probing', async () => {
      const source = await fetchSource();
      return { source, video: await probeVideo(source, { signal }) };
    });
    await updateClip(clipId, { video });

    await fsp.mkdir(scratch.framesDir, { recursive: true });
    const frameIndex = await timed('extracting', () =>
      extractFrames(source, scratch.framesDir, {
        signal,
        info: video, // already probed exactly: no second full decode
        onProgress: (done, total) => void progress('extracting', total ? done / total : 0).catch(() => {}),
      }),
    );

    checkFrameIndex(frameIndex, keys.frameIndex);
    await store.putStream(keys.frameIndex, Readable.from([Buffer.from(JSON.stringify(frameIndex))]), { contentType: 'application/json', signal });

    await timed('transcoding', async () => {
      if (!video.browserPlayable) {
        await makePlayable(source, scratch.playable, {
          signal,
          info: video,
          onProgress: (done: number, total: number) => void progress('transcoding', total ? done / total : 0).catch(() => {}),
        });
        await store.putFile(keys.playable, scratch.playable, { contentType: 'video/mp4', signal });
      } else {
        await store.delete(keys.playable);
      }
      await makeThumbnail(scratch.framesDir, scratch.thumbnail);
      await store.putFile(keys.thumbnail, scratch.thumbnail, { contentType: 'image/jpeg', signal });
    });
    await updateClip(clipId, { hasPlayableCopy: !video.browserPlayable });

    await fsp.mkdir(workDir, { recursive: true });
    const prepared = { clipId, framesDir: scratch.framesDir, frameIndex, video, workDir };
    sequence = await timed('tracking', async () => {
      await updateClip(clipId, { runner: runner.kind });
      try {
        return await runner.run(prepared, runContext);
      } catch (err) {
        // fall back only when the runner says its failure is one it cannot fix (no GPU, missing models)
        if (!(err instanceof RunnerError) || signal.aborted || !err.options.fallbackAllowed) throw err;
        const fallback = fallbackRunner(config, runner);
        if (!fallback) throw err;
        runnerNote = `${runner.kind.toUpperCase()} failed (${err.message}); the built-in ${fallback.kind.toUpperCase()} runner was used instead.`;
        log.warn('job.runner-fallback', { clipId, from: runner.kind, to: fallback.kind, reason: err.message, code: err.code });
        runner = fallback;
        // the other runner numbers tracks its own way: what the first one stored goes
        await writer.reset();
        await updateClip(clipId, { runner: runner.kind, runnerNote });
        return runner.run(prepared, runContext);
      }
    }).catch(async (err) => {
      await writer.stop(); // a failed or canceled run stores nothing more
      throw err;
    });
  }

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
