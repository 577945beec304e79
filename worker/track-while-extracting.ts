import fsp from 'node:fs/promises';
import { Readable } from 'node:stream';
import { updateClip } from '../lib/clips/repo';
import type { PoseSequence } from '../lib/pose/types';
import { publishClipChanged } from '../lib/queue';
import { extractFrames, FramesOnDisk } from '../lib/video/extract';
import { VideoToolError } from '../lib/video/ffmpeg';
import { checkFrameIndex } from '../lib/video/frame-index';
import { makePlayable, makeThumbnail } from '../lib/video/playable';
import { probePackets, probeVideo, sameFrameIndex } from '../lib/video/probe';
import type { FrameIndex } from '../lib/video/types';
import type { AttemptContext } from './attempt-context';
import type { PoseRunner } from './runners/types';

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

/**
 * Probes, extracts and tracks a clip with a runner that starts on the first extracted frames (one with
 * `runWhileExtracting`: the CPU runner). The frame count and each frame's time come from reading the
 * container's packets (no decoding), so frames are handed out as final at once; the extraction (which
 * decodes, at a lower priority) checks that index when it ends: a video whose decoded frames differ from
 * its packets starts over (pages reload) with the decoded index, tracked from the JPGs. The playable copy
 * and the thumbnail are made next to tracking, at a lower priority still (until the copy exists the player
 * plays the source when the browser can).
 *
 * Stores the frame index, the video info, the thumbnail and the playable copy, and records the
 * probing, extracting, transcoding and tracking seconds in `attempt.stageSeconds`.
 * Resolves with the tracked sequence once tracking has ended and the playable copy is stored. On a
 * failure or an abort it stops the writer and the work next to tracking, and rejects with what went
 * wrong first (an extraction failure shows as itself, not as the runner's).
 */
export async function trackWhileExtracting(attempt: AttemptContext, runner: PoseRunner): Promise<PoseSequence> {
  const { clipId, signal, log, scratch, keys, store, stageSeconds, workDir, writer, runContext, timed } = attempt;
  const { source, early } = await timed('probing', async () => {
    const source = await attempt.fetchSource();
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
    const sequence = await timed('tracking', async () => {
      await updateClip(clipId, { runner: runner.kind });
      const prepared = { clipId, framesDir: scratch.framesDir, frameIndex: early.index, video: early.info, workDir };
      try {
        return await runner.runWhileExtracting!({ ...prepared, frames: onDisk, verified }, runContext);
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
        return runner.run({ ...prepared, frameIndex, video }, runContext);
      }
    });
    await copied;
    return sequence;
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
}
