import os from 'node:os';
import { BLAZEPOSE33 } from '../../../lib/pose/joints';
import type { PoseFrame, PoseSequence } from '../../../lib/pose/types';
import type { FramesOnDisk } from '../../../lib/video/extract';
import { RunnerError, type ExtractingClip, type PoseRunner, type PreparedClip, type RunContext } from '../types';
import type { AnalyserConfig } from './analyser';
import { defaultIntrinsics } from './camera';
import { workingSize } from './frames';
import { DETECTOR_MODEL, findModelDir, modelBytes, modelDirCandidates, type LandmarkModel } from './models';
import { runChunk, warmThreads, type ChunkResult } from './pool';
import { StreamingStitcher } from './stitch';
import { DEFAULT_TRACKER_OPTIONS, type TrackerOptions } from './tracker';

/**
 * The built-in CPU runner: MoveNet MultiPose finds people, BlazePose GHUM measures each one (2D + 3D
 * landmarks), a detect-then-track loop keeps a track id per person (tracker.ts). The clip is cut into
 * as many runs of frames as there are threads; each run is tracked in its own worker thread (the wasm
 * backend is single-threaded) and the runs are stitched by their overlapping frames (stitch.ts).
 *
 * Per person and frame (analyser.ts): `confidence` = BlazePose's pose presence score;
 * `tracking_confidence` = confidence x continuity (IoU of the person's box with the same track's box
 * in the previous frame; 0.5 when the track starts or comes back after a miss); `camera` = an
 * ESTIMATED translation into camera space under `intrinsics` (camera.ts); `keypoints_3d` = BlazePose
 * world landmarks (metres, hip-centred, camera-aligned axes); `keypoint_scores` = visibility x presence.
 *
 * Warm and early: the threads load the models at worker start (`warm`) and stay loaded between jobs;
 * `runWhileExtracting` starts on the first extracted frames (each run reads its frames as they reach
 * the disk), with the frame index read from the container's packets (count and times, checked against
 * the extraction when it ends).
 */
export interface CpuRunnerOptions {
  /** BlazePose variant; default 'blazepose-lite' (see bench/cpu-runner.bench.ts for the trade-off) */
  landmarkModel?: LandmarkModel;
  /** longer side of the frames the models look at, pixels; default 800 */
  workingSide?: number;
  /** worker threads (parallel runs of frames); default min(2, available cores) */
  threads?: number;
  tracker?: Partial<TrackerOptions>;
}

export const DEFAULT_CPU_OPTIONS = { landmarkModel: 'blazepose-lite' as LandmarkModel, workingSide: 800 };
/** frames each parallel run re-tracks from the previous run's end, to stitch ids */
const OVERLAP = 15;
/** below this many frames per thread, splitting costs more than it saves */
const MIN_FRAMES_PER_THREAD = 60;

export type CpuRunner = PoseRunner & { lastStats?: { landmarks: number; detector: number; threads: number } };

export function createCpuRunner(opts: CpuRunnerOptions = {}): CpuRunner {
  const landmarkModel = opts.landmarkModel ?? DEFAULT_CPU_OPTIONS.landmarkModel;
  const workingSide = opts.workingSide ?? DEFAULT_CPU_OPTIONS.workingSide;
  const trackerOpts: TrackerOptions = { ...DEFAULT_TRACKER_OPTIONS, ...opts.tracker };
  const names = [landmarkModel, DETECTOR_MODEL];

  const runner: CpuRunner = {
    kind: 'cpu',
    async describe() {
      const dir = findModelDir(names);
      return { cpuModels: names, cpuModelsFound: dir !== null, cpuModelBytes: dir ? modelBytes(dir, names) : 0 };
    },
    async warm() {
      const modelDir = findModelDir(names);
      if (modelDir) await warmThreads(defaultThreads(), { modelDir, landmarkModel });
    },
    run(clip: PreparedClip, ctx: RunContext): Promise<PoseSequence> {
      return track(clip, ctx);
    },
    runWhileExtracting(clip: ExtractingClip, ctx: RunContext): Promise<PoseSequence> {
      return track(clip, ctx);
    },
  };

  /** Rejects with the signal's reason as soon as it is aborted. */
  function abortable<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
    signal.throwIfAborted();
    return Promise.race([p, new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }))]);
  }

  async function track(clip: PreparedClip & { frames?: FramesOnDisk; verified?: Promise<void> }, ctx: RunContext): Promise<PoseSequence> {
      const { signal } = ctx;
      signal.throwIfAborted();
      const modelDir = findModelDir(names);
      if (!modelDir) {
        throw new RunnerError(
          `CPU pose model files not found (${names.join(', ')}); looked in ${modelDirCandidates().join(', ')}`,
          'cpu_models_missing',
        );
      }
      const W = clip.frameIndex.width || clip.video.width;
      const H = clip.frameIndex.height || clip.video.height;
      const { frameIndex } = clip;
      const n = frameIndex.frameCount;
      const work = workingSize(W, H, workingSide);
      const config: AnalyserConfig = {
        modelDir, landmarkModel, tracker: trackerOpts, workWidth: work.width, workHeight: work.height,
        scaleX: W / work.width, scaleY: H / work.height, intrinsics: defaultIntrinsics(W, H),
      };

      const threads = Math.max(1, Math.min(opts.threads ?? defaultThreads(), Math.floor(n / MIN_FRAMES_PER_THREAD)));
      const bounds = Array.from({ length: threads + 1 }, (_, i) => Math.round((i * n) / threads));
      const runs = bounds.slice(0, -1).map((b, i) => {
        const start = Math.max(0, b - (i > 0 ? OVERLAP : 0));
        return { start, count: bounds[i + 1]! - start };
      });
      const meta: Omit<PoseSequence, 'frames'> = {
        runner: 'cpu',
        joint_set: BLAZEPOSE33.name,
        joint_names: [...BLAZEPOSE33.names],
        width: W,
        height: H,
        fps: frameIndex.fps,
        frame_count: n,
        intrinsics: config.intrinsics,
      };
      const frameAt = (i: number, persons: PoseFrame['persons']): PoseFrame => ({ frame_number: i, timestamp: frameIndex.pts[i] ?? i / frameIndex.fps, persons });
      // frames are final once their run's ids are stitched: handed out as they are decided
      const stitcher = new StreamingStitcher(runs, trackerOpts.memoryFrames);
      const handOut = () => {
        const { from, frames } = stitcher.drain();
        if (frames.length && ctx.onFinalFrames) ctx.onFinalFrames({ meta, frames: frames.map((p, j) => frameAt(from + j, p)) });
      };
      const total = n + OVERLAP * (threads - 1);
      let analysed = 0;
      let started = 0;
      let lastReport = 0;
      ctx.onProgress({ stage: 'loading-model', progress: 0 });
      const onFrame = (run: number, frame: number, persons: PoseFrame['persons']) => {
        stitcher.add(run, frame, persons);
        handOut();
        analysed++;
        const now = performance.now();
        if (analysed === 1) { started = now; ctx.onProgress({ stage: 'tracking', progress: 0 }); }
        if (now - lastReport < 250 && analysed < total) return;
        lastReport = now;
        const perFrame = (now - started) / 1000 / Math.max(1, analysed - 1);
        ctx.onProgress({ stage: 'tracking', progress: analysed / total, etaSeconds: Math.round(perFrame * (total - analysed)) });
      };

      // one failing run stops the others
      const stop = new AbortController();
      const onAbort = () => stop.abort(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      let chunks: ChunkResult[];
      try {
        chunks = await Promise.all(runs.map(({ start, count }, i) => {
          // a run that starts mid-clip must find everybody within the overlap to stitch; the first need not
          const runConfig = { ...config, tracker: { ...config.tracker, eagerFrames: opts.tracker?.eagerFrames ?? (i > 0 ? OVERLAP : 0) } };
          return runChunk({
            config: runConfig, framesDir: clip.framesDir, sourceWidth: W, sourceHeight: H, start, count, extracting: clip.frames,
            signal: stop.signal, onFrame: (frame, persons) => onFrame(i, frame, persons),
          }).catch((err: unknown) => { if (!stop.signal.aborted) stop.abort(err); throw err; });
        }));
      } catch (err) {
        if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : err;
        throw new RunnerError(`CPU pose runner failed: ${(err as Error).message}`, 'cpu_failed', {
          logTail: String((err as Error).stack ?? err).split('\n').slice(0, 8),
        });
      } finally {
        signal.removeEventListener('abort', onAbort);
      }
      signal.throwIfAborted();
      // frames still being extracted: the result stands once the extraction found the same frames
      if (clip.verified) await abortable(clip.verified, signal);

      // a frame the thread never reported counts as empty (as stitchChunks does)
      stitcher.markFinished();
      handOut();
      const frames: PoseFrame[] = stitcher.all().map((p, i) => frameAt(i, p));
      runner.lastStats = {
        landmarks: chunks.reduce((s, c) => s + c.calls.landmarks, 0),
        detector: chunks.reduce((s, c) => s + c.calls.detector, 0),
        threads,
      };
      return { ...meta, frames };
  }
  return runner;
}

/** Threads per clip: one per core, at most 2 (see bench/cpu-runner.bench.ts). */
function defaultThreads(): number {
  return Math.min(2, os.availableParallelism());
}
