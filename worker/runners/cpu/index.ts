import { BLAZEPOSE33 } from '../../../lib/pose/joints';
import type { PersonPose, PoseFrame, PoseSequence } from '../../../lib/pose/types';
import { RunnerError, type PoseRunner, type PreparedClip, type RunContext } from '../types';
import { BlazePoseLandmarks } from './blazepose';
import { defaultIntrinsics, solveTranslation } from './camera';
import { MultiPoseDetector } from './detector';
import { readRgbFrames, workingSize } from './frames';
import { DETECTOR_MODEL, findModelDir, modelBytes, modelDirCandidates, type LandmarkModel } from './models';
import { initTf, loadGraphModel } from './tf';
import { DEFAULT_TRACKER_OPTIONS, MultiPersonTracker, type TrackerOptions } from './tracker';

/**
 * The built-in CPU runner: MoveNet MultiPose finds people, BlazePose measures each one (2D + 3D
 * landmarks), and a detect-then-track loop keeps a track id per person (tracker.ts).
 *
 * Per person and frame:
 * - `confidence`: BlazePose's pose presence score for the crop (0..1);
 * - `tracking_confidence` = confidence x continuity, where continuity is the overlap (IoU) of the
 *   person's box with the same track's box in the previous frame, or 0.5 when the track starts or
 *   comes back after a miss (the id is then a guess from where the person was last seen);
 * - `camera`: an ESTIMATED translation into camera space under `intrinsics` (camera.ts);
 * - `keypoints_3d`: BlazePose world landmarks, metres, hip-centred, camera-aligned axes.
 */
export interface CpuRunnerOptions {
  /** BlazePose variant; default 'blazepose-lite' (see bench/cpu-runner.bench.ts for the trade-off) */
  landmarkModel?: LandmarkModel;
  /** longer side of the frames the models look at, pixels; default 800 */
  workingSide?: number;
  tracker?: Partial<TrackerOptions>;
}

export const DEFAULT_CPU_OPTIONS = { landmarkModel: 'blazepose-lite' as LandmarkModel, workingSide: 800 };

interface Models { landmarks: BlazePoseLandmarks; detector: MultiPoseDetector }

export function createCpuRunner(opts: CpuRunnerOptions = {}): PoseRunner & { lastStats?: { landmarks: number; detector: number } } {
  const landmarkModel = opts.landmarkModel ?? DEFAULT_CPU_OPTIONS.landmarkModel;
  const workingSide = opts.workingSide ?? DEFAULT_CPU_OPTIONS.workingSide;
  const names = [landmarkModel, DETECTOR_MODEL];
  let models: Promise<Models> | null = null;

  const load = (): Promise<Models> => {
    models ??= (async () => {
      const dir = findModelDir(names);
      if (!dir) {
        throw new RunnerError(
          `CPU pose model files not found (${names.join(', ')}); looked in ${modelDirCandidates().join(', ')}`,
          'cpu_models_missing',
        );
      }
      await initTf();
      const [lm, det] = await Promise.all(names.map((n) => loadGraphModel(dir, n)));
      return { landmarks: new BlazePoseLandmarks(lm), detector: new MultiPoseDetector(det) };
    })();
    models.catch(() => { models = null; });
    return models;
  };

  const runner: PoseRunner & { lastStats?: { landmarks: number; detector: number } } = {
    kind: 'cpu',
    async describe() {
      const dir = findModelDir(names);
      return { cpuModels: names, cpuModelsFound: dir !== null, cpuModelBytes: dir ? modelBytes(dir, names) : 0 };
    },
    async run(clip: PreparedClip, ctx: RunContext): Promise<PoseSequence> {
      const { signal } = ctx;
      signal.throwIfAborted();
      ctx.onProgress({ stage: 'loading-model', progress: 0 });
      const m = await load();
      signal.throwIfAborted();

      const { frameIndex } = clip;
      const W = frameIndex.width || clip.video.width;
      const H = frameIndex.height || clip.video.height;
      const n = frameIndex.frameCount;
      const work = workingSize(W, H, workingSide);
      const sx = W / work.width, sy = H / work.height;
      const K = defaultIntrinsics(W, H);
      const tracker = new MultiPersonTracker(m.landmarks, m.detector, { ...DEFAULT_TRACKER_OPTIONS, ...opts.tracker });

      const frames: PoseFrame[] = [];
      const t0 = performance.now();
      let lastReport = 0;
      ctx.onProgress({ stage: 'tracking', progress: 0 });
      try {
        for await (const f of readRgbFrames({ framesDir: clip.framesDir, count: n, width: work.width, height: work.height, sourceWidth: W, sourceHeight: H, signal })) {
          signal.throwIfAborted();
          const people = await tracker.step(f.index, f.data, f.width, f.height);
          const persons: PersonPose[] = people.map((p) => {
            const kp2 = new Float32Array(p.lm.image.length);
            for (let i = 0; i < kp2.length; i += 2) { kp2[i] = p.lm.image[i] * sx; kp2[i + 1] = p.lm.image[i + 1] * sy; }
            return {
              track_id: p.trackId,
              state: 'detected',
              confidence: p.lm.score,
              tracking_confidence: p.lm.score * p.continuity,
              frames_since_seen: 0,
              smpl: null,
              camera: solveTranslation(p.lm.world, kp2, p.lm.scores, K),
              keypoints_3d: p.lm.world,
              keypoints_2d: kp2,
              keypoint_scores: p.lm.scores,
              bbox: [p.box[0] * sx, p.box[1] * sy, p.box[2] * sx, p.box[3] * sy],
            };
          });
          frames.push({ frame_number: f.index, timestamp: frameIndex.pts[f.index] ?? f.index / frameIndex.fps, persons });
          const now = performance.now();
          if (now - lastReport > 250 || frames.length === n) {
            lastReport = now;
            const perFrame = (now - t0) / 1000 / frames.length;
            ctx.onProgress({ stage: 'tracking', progress: frames.length / n, etaSeconds: Math.round(perFrame * (n - frames.length)) });
          }
        }
      } catch (err) {
        if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : err;
        if (err instanceof RunnerError) throw err;
        throw new RunnerError(`CPU pose runner failed: ${(err as Error).message}`, 'cpu_failed', { logTail: [String((err as Error).stack ?? err)].slice(-1) });
      }
      signal.throwIfAborted();
      runner.lastStats = { ...tracker.calls };
      return {
        runner: 'cpu',
        joint_set: BLAZEPOSE33.name,
        joint_names: [...BLAZEPOSE33.names],
        width: W,
        height: H,
        fps: frameIndex.fps,
        frame_count: n,
        intrinsics: K,
        frames,
      };
    },
  };
  return runner;
}

