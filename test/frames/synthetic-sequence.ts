import { PHALP45 } from '../../lib/pose/joints';
import type { PersonPose, PoseSequence } from '../../lib/pose/types';

/**
 * A PHALP-like PoseSequence with realistic values (test data generator, not a runner): real rotation
 * matrices, float32 camera/bbox/confidence as PHALP writes them (f4), several tracks that enter late,
 * get held (stale copies) and leave, and frames with nobody. Deterministic for a given seed.
 */

/** mulberry32: tiny seeded PRNG, so tests and benchmarks see the same data every run */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Row-major rotation matrix of `angle` radians about a unit axis (Rodrigues). */
function rotation(axis: [number, number, number], angle: number, out: Float32Array, at: number): void {
  const [x, y, z] = axis;
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  const C = 1 - c;
  out.set([c + x * x * C, x * y * C - z * s, x * z * C + y * s, y * x * C + z * s, c + y * y * C, y * z * C - x * s, z * x * C - y * s, z * y * C + x * s, c + z * z * C], at);
}

export interface SyntheticOptions {
  frames: number;
  tracks: number;
  width?: number;
  height?: number;
  fps?: number;
  seed?: number;
  /** frames at the start and the end where nobody is present */
  emptyFrames?: number;
  /**
   * the camera's mean distance (PHALP's tz; default 35: bodies about 1,800 px tall at 1080p, partly
   * off the picture, a stress case; 100 gives about 650 px, all on the picture)
   */
  cameraDepth?: number;
}

export function syntheticSequence(opts: SyntheticOptions): PoseSequence {
  const { frames: n, tracks, width = 1920, height = 1080, fps = 30, seed = 1, emptyFrames = 3, cameraDepth = 35 } = opts;
  const rand = rng(seed);
  const f32 = Math.fround;
  const S = Math.max(width, height);
  const J = PHALP45.names.length;
  const betasOf = Array.from({ length: tracks }, () => Float32Array.from({ length: 10 }, () => (rand() - 0.5) * 2));

  const person = (tid: number, i: number, held: number): PersonPose => {
    const t = (i - held) / fps; // a held person is a stale copy of the last detection
    const phase = t * 2 * Math.PI * 0.8 + tid;
    const global_orient = new Float32Array(9);
    rotation([0, 1, 0], Math.PI + 0.3 * Math.sin(phase / 4), global_orient, 0);
    const body_pose = new Float32Array(207);
    for (let j = 0; j < 23; j++) {
      const a = rand() * 2 - 1;
      const b = rand() * 2 - 1;
      const len = Math.hypot(a, b, 1);
      rotation([a / len, b / len, 1 / len], 0.4 * Math.sin(phase + j), body_pose, j * 9);
    }
    const camera = { tx: f32(-1.5 + tid * 1.2 + 0.05 * t), ty: f32(0.2 + 0.01 * Math.sin(phase)), tz: f32(cameraDepth + (cameraDepth / 7) * Math.cos(phase / 8)) };
    const keypoints_3d = new Float32Array(J * 3);
    const keypoints_2d = new Float32Array(J * 2);
    const fx = (5000 * S) / 256;
    for (let k = 0; k < J - 1; k++) {
      // joints in model space within a 1.8 m tall body; joint 44 is the model origin (zeros) as in PHALP
      const x = 0.4 * Math.sin(k * 1.7 + phase);
      const y = -0.9 + (1.8 * k) / J;
      const z = 0.15 * Math.cos(k * 0.9 + phase);
      keypoints_3d.set([x, y, z], k * 3);
      const pz = z + camera.tz;
      keypoints_2d.set([(fx * (x + camera.tx)) / pz + S / 2 - Math.floor((S - width) / 2), (fx * (y + camera.ty)) / pz + S / 2 - Math.floor((S - height) / 2)], k * 2);
    }
    let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
    for (let k = 0; k < J - 1; k++) {
      minX = Math.min(minX, keypoints_2d[k * 2]);
      maxX = Math.max(maxX, keypoints_2d[k * 2]);
      minY = Math.min(minY, keypoints_2d[k * 2 + 1]);
      maxY = Math.max(maxY, keypoints_2d[k * 2 + 1]);
    }
    const conf = f32(0.85 + 0.14 * rand());
    return {
      track_id: tid,
      state: held > 0 ? 'held' : 'detected',
      confidence: conf,
      tracking_confidence: held > 0 ? conf * Math.pow(0.9, held) : conf,
      frames_since_seen: held,
      smpl: { global_orient, body_pose, betas: betasOf[tid - 1] },
      camera,
      keypoints_3d,
      keypoints_2d,
      keypoint_scores: null,
      bbox: [f32(minX - 20), f32(minY - 20), f32(maxX - minX + 40), f32(maxY - minY + 40)],
    };
  };

  const frames = Array.from({ length: n }, (_, i) => {
    const persons: PersonPose[] = [];
    if (i >= emptyFrames && i < n - emptyFrames) {
      for (let tid = 1; tid <= tracks; tid++) {
        // track 2+ enters later; every 97th frame stretch of 3 frames a track is held (lost, stale copy)
        if (tid > 1 && i < emptyFrames + 10 * (tid - 1)) continue;
        const held = (i + tid * 13) % 97 < 3 ? ((i + tid * 13) % 97) + 1 : 0;
        persons.push(person(tid, i, held));
      }
    }
    return { frame_number: i, timestamp: i / fps, persons };
  });

  return {
    runner: 'phalp',
    joint_set: PHALP45.name,
    joint_names: [...PHALP45.names],
    width,
    height,
    fps,
    frame_count: n,
    intrinsics: { fx: (5000 * S) / 256, fy: (5000 * S) / 256, cx: S / 2 - Math.floor((S - width) / 2), cy: S / 2 - Math.floor((S - height) / 2) },
    frames,
  };
}
