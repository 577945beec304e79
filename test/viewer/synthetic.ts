/**
 * TEST DATA GENERATOR (not real runner output): PoseSequences with the shapes runners produce,
 * seeded so failures reproduce. Real PHALP data is covered by the walk_8 tests.
 */
import type { PersonPose, PersonState, PoseSequence } from '../../lib/pose/types';

export function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A random proper rotation (row-major) from a random unit quaternion. */
export function randomRotation(r: () => number, out: Float32Array, o: number) {
  let x = r() - 0.5, y = r() - 0.5, z = r() - 0.5, w = r() - 0.5;
  const n = Math.hypot(x, y, z, w);
  x /= n; y /= n; z /= n; w /= n;
  out.set([
    1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w),
    2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w),
    2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y),
  ], o);
}

export function syntheticSequence(opts: { runner: 'phalp' | 'cpu'; frames: number; tracks: number; joints?: number; seed?: number }): PoseSequence {
  const r = rng(opts.seed ?? 1);
  const J = opts.joints ?? (opts.runner === 'phalp' ? 45 : 33);
  const states: PersonState[] = ['detected', 'held', 'interpolated'];
  let t = 0;
  const frames = Array.from({ length: opts.frames }, (_, f) => {
    const timestamp = t;
    t += f % 7 === 3 ? 0.05 : 1 / 30; // variable frame rate
    const persons: PersonPose[] = [];
    for (let k = 1; k <= opts.tracks; k++) {
      if ((f + k) % 11 === 0) continue; // track absent
      const state = states[(f * k) % 5 === 0 ? 1 + ((f + k) % 2) : 0];
      const smpl = opts.runner === 'phalp' ? {
        global_orient: new Float32Array(9), body_pose: new Float32Array(207), betas: Float32Array.from({ length: 10 }, () => r() - 0.5),
      } : null;
      if (smpl) {
        randomRotation(r, smpl.global_orient, 0);
        for (let i = 0; i < 23; i++) randomRotation(r, smpl.body_pose, 9 * i);
      }
      persons.push({
        track_id: k,
        state,
        confidence: state === 'interpolated' ? null : 0.8 + 0.2 * r(),
        tracking_confidence: r(),
        frames_since_seen: state === 'detected' ? 0 : 1 + (f % 4),
        smpl,
        camera: opts.runner === 'phalp' ? { tx: r() - 0.5, ty: r() * 0.3, tz: 40 + 10 * r() } : null,
        keypoints_3d: Float32Array.from({ length: 3 * J }, () => r() - 0.5),
        keypoints_2d: Float32Array.from({ length: 2 * J }, () => r() * 800),
        keypoint_scores: opts.runner === 'cpu' ? Float32Array.from({ length: J }, () => r()) : null,
        bbox: [r() * 100, r() * 100, 50 + r() * 100, 100 + r() * 200],
      });
    }
    return { frame_number: f, timestamp, persons };
  });
  return {
    runner: opts.runner,
    joint_set: opts.runner === 'phalp' ? 'phalp45' : 'blazepose',
    joint_names: Array.from({ length: J }, (_, j) => `j${j}`),
    width: 852, height: 480, fps: 30, frame_count: opts.frames,
    intrinsics: opts.runner === 'phalp' ? { fx: 16640.625, fy: 16640.625, cx: 426, cy: 240 } : null,
    frames,
  };
}
