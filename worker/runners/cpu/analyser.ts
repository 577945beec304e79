import type { Intrinsics, PersonPose } from '../../../lib/pose/types';
import { BlazePoseLandmarks } from './blazepose';
import { solveTranslation } from './camera';
import { MultiPoseDetector } from './detector';
import type { LandmarkModel } from './models';
import { DETECTOR_MODEL } from './models';
import { initTf, loadGraphModel } from './tf';
import { MultiPersonTracker, type TrackerOptions } from './tracker';

/** a 16:9 frame at the default working size (worker/runners/cpu/index.ts: 800 px long side) */
const WARM_UP_SIZE = { width: 800, height: 450 };

export interface AnalyserConfig {
  modelDir: string;
  landmarkModel: LandmarkModel;
  tracker: TrackerOptions;
  /** working resolution the frames arrive in */
  workWidth: number;
  workHeight: number;
  /** working pixels -> original video pixels */
  scaleX: number;
  scaleY: number;
  intrinsics: Intrinsics;
}

/**
 * One tracker over a run of consecutive frames, turning each frame into PersonPose values
 * (track ids are local to this analyser; the runner stitches runs together).
 *
 * Per person: `confidence` = BlazePose's pose presence score; `tracking_confidence` = confidence x
 * continuity (IoU with the track's box in the previous frame, 0.5 when the track starts or comes back
 * after a miss); `camera` = an estimated translation (camera.ts).
 */
export class FrameAnalyser {
  private constructor(private readonly cfg: AnalyserConfig, private readonly tracker: MultiPersonTracker) {}

  static async create(cfg: AnalyserConfig): Promise<FrameAnalyser> {
    return FrameAnalyser.withModels(cfg, await FrameAnalyser.loadModels(cfg));
  }

  /** The two graph models, loaded once; a thread that analyses many unrelated images re-uses them. */
  static async loadModels(cfg: Pick<AnalyserConfig, 'modelDir' | 'landmarkModel'>) {
    await initTf(1);
    const [lm, det] = await Promise.all([loadGraphModel(cfg.modelDir, cfg.landmarkModel), loadGraphModel(cfg.modelDir, DETECTOR_MODEL)]);
    // one run of each on an empty frame: the first run of a model sets up its kernels (about a second),
    // which a warm thread then does before its first job, not on the clip's first frame
    const blank = new Uint8Array(WARM_UP_SIZE.width * WARM_UP_SIZE.height * 3);
    await new MultiPoseDetector(det).detect(blank, WARM_UP_SIZE.width, WARM_UP_SIZE.height);
    await new BlazePoseLandmarks(lm).run(blank, WARM_UP_SIZE.width, WARM_UP_SIZE.height, { cx: WARM_UP_SIZE.width / 2, cy: WARM_UP_SIZE.height / 2, size: WARM_UP_SIZE.height, angle: 0 });
    return { lm, det };
  }

  /** A fresh tracker (no state from earlier frames) over already loaded models. */
  static withModels(cfg: AnalyserConfig, models: Awaited<ReturnType<typeof FrameAnalyser.loadModels>>): FrameAnalyser {
    return new FrameAnalyser(cfg, new MultiPersonTracker(new BlazePoseLandmarks(models.lm), new MultiPoseDetector(models.det), cfg.tracker));
  }

  get calls() {
    return this.tracker.calls;
  }

  async analyse(frame: number, rgb: Uint8Array): Promise<PersonPose[]> {
    const { workWidth, workHeight, scaleX: sx, scaleY: sy, intrinsics } = this.cfg;
    const people = await this.tracker.step(frame, rgb, workWidth, workHeight);
    return people.map((p) => {
      const kp2 = new Float32Array(p.lm.image.length);
      for (let i = 0; i < kp2.length; i += 2) {
        kp2[i] = p.lm.image[i] * sx;
        kp2[i + 1] = p.lm.image[i + 1] * sy;
      }
      return {
        track_id: p.trackId,
        state: 'detected',
        confidence: p.lm.score,
        tracking_confidence: p.lm.score * p.continuity,
        frames_since_seen: 0,
        smpl: null,
        camera: solveTranslation(p.lm.world, kp2, p.lm.scores, intrinsics),
        keypoints_3d: p.lm.world,
        keypoints_2d: kp2,
        keypoint_scores: p.lm.scores,
        bbox: [p.box[0] * sx, p.box[1] * sy, p.box[2] * sx, p.box[3] * sy],
      };
    });
  }
}
