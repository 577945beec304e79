import fsp from 'node:fs/promises';
import { Readable } from 'node:stream';
import { updateClip } from '../lib/clips/repo';
import type { PoseSequence } from '../lib/pose/types';
import { extractFrames } from '../lib/video/extract';
import { checkFrameIndex } from '../lib/video/frame-index';
import { makePlayable, makeThumbnail } from '../lib/video/playable';
import { probeVideo } from '../lib/video/probe';
import type { AttemptContext } from './attempt-context';
import { fallbackRunner } from './runners/select';
import { RunnerError, type PoseRunner } from './runners/types';

/** The outcome of tracking: the sequence, the runner that made it, and why it was not the one chosen first. */
export interface TrackedClip {
  sequence: PoseSequence;
  runner: PoseRunner;
  /** set when the chosen runner failed and the built-in fallback was used instead; else null */
  runnerNote: string | null;
}

/**
 * Probes, extracts and tracks a clip stage after stage, for runners that need every frame first (PHALP):
 * the video is probed by decoding, all its frames are extracted, the playable copy and the thumbnail are
 * made, and then the runner tracks. A runner that fails in a way it says it cannot fix (no GPU, missing
 * models) is replaced by the built-in fallback runner, when there is one, after the frames stored so far
 * are reset.
 *
 * Stores the video info, the frame index, the playable copy and the thumbnail, and records each stage's
 * seconds in `attempt.stageSeconds`. Resolves with the sequence, the runner that made it and the note
 * about a fallback; on a failure or an abort it stops the writer and rejects with the error.
 */
export async function extractThenTrack(attempt: AttemptContext, chosen: PoseRunner): Promise<TrackedClip> {
  const { clipId, config, signal, log, scratch, keys, store, workDir, writer, runContext, progress, timed } = attempt;
  let runner = chosen;
  let runnerNote: string | null = null;
  const { source, video } = await timed('probing', async () => {
    const source = await attempt.fetchSource();
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
  const sequence = await timed('tracking', async () => {
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
  return { sequence, runner, runnerNote };
}
