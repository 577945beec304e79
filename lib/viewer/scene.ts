/**
 * Scene geometry without three.js objects: fills caller-owned Float32Arrays (allocated once per
 * track) so a frame change copies numbers and allocates nothing.
 *
 * Axes: keypoints and mesh are OpenCV camera axes (x right, y down, z forward) after adding the
 * PHALP camera translation; three.js is y up, z towards the viewer, so y and z are negated.
 */
import type { CameraTranslation, PersonPose, PoseSequence } from '../pose/types';

/** Typical standing height, metres: places CPU-runner people (no camera) from their video box. */
const ASSUMED_HEIGHT_M = 1.7;

/** Where a person's model-space points go: the PHALP camera, or for runners without one an
 * approximate place from the bounding box (hip-centred CPU keypoints would all sit at the origin). */
export function personTranslation(p: PersonPose, seq: Pick<PoseSequence, 'width' | 'height'>, out: CameraTranslation): CameraTranslation {
  if (p.camera) {
    out.tx = p.camera.tx; out.ty = p.camera.ty; out.tz = p.camera.tz;
    return out;
  }
  const [x, , w, h] = p.bbox;
  const metresPerPixel = h > 0 ? ASSUMED_HEIGHT_M / h : 0;
  out.tx = (x + w / 2 - seq.width / 2) * metresPerPixel;
  out.ty = 0;
  out.tz = 0;
  return out;
}

/** points (n*3, model space, OpenCV) + t -> three.js coordinates, into out (n*3). */
export function toThree(points: ArrayLike<number>, t: CameraTranslation, out: Float32Array, count = Math.floor(points.length / 3)): void {
  for (let i = 0; i < count; i++) {
    out[3 * i] = points[3 * i] + t.tx;
    out[3 * i + 1] = -(points[3 * i + 1] + t.ty);
    out[3 * i + 2] = -(points[3 * i + 2] + t.tz);
  }
}

/** Bone segments (2 endpoints each) from three.js joint positions into out (bones*6). */
export function fillBones(joints: Float32Array, bones: readonly (readonly [number, number])[], out: Float32Array): void {
  for (let b = 0; b < bones.length; b++) {
    const [i, j] = bones[b];
    out[6 * b] = joints[3 * i]; out[6 * b + 1] = joints[3 * i + 1]; out[6 * b + 2] = joints[3 * i + 2];
    out[6 * b + 3] = joints[3 * j]; out[6 * b + 4] = joints[3 * j + 1]; out[6 * b + 5] = joints[3 * j + 2];
  }
}

export interface SceneFrame {
  /** three.js centre of all detected people over the clip */
  center: [number, number, number];
  /** three.js y of the ground (lowest body point, robust over frames) */
  floorY: number;
  /** rough size of the action, metres, for framing the camera presets */
  extent: number;
}

/** Ground level and framing for the whole clip, from detected frames only. */
export function sceneFrame(seq: PoseSequence, jointCount: number): SceneFrame {
  const t = { tx: 0, ty: 0, tz: 0 };
  const lows: number[] = [];
  const xs: number[] = [];
  const ys: number[] = [];
  const zs: number[] = [];
  for (const frame of seq.frames) {
    for (const p of frame.persons) {
      if (p.state !== 'detected') continue;
      personTranslation(p, seq, t);
      let low = Infinity;
      // Joint count excludes PHALP's zero 'Origin' row, which is not a body point.
      for (let j = 0; j < jointCount; j++) {
        const y = -(p.keypoints_3d[3 * j + 1] + t.ty);
        if (y < low) low = y;
      }
      lows.push(low);
      xs.push(t.tx);
      ys.push(-t.ty);
      zs.push(-t.tz);
    }
  }
  if (xs.length === 0) return { center: [0, 0, 0], floorY: -1, extent: 3 };
  // Percentiles, not extremes: a few frames with a bad depth estimate must not push the camera away.
  const q = (v: number[], f: number) => v[Math.min(v.length - 1, Math.floor(v.length * f))];
  for (const v of [lows, xs, ys, zs]) v.sort((a, b) => a - b);
  // 10th percentile of each frame's lowest point: ignores a single bad frame, keeps the feet on the grid.
  const floorY = q(lows, 0.1);
  const extent = Math.max(2.5, q(xs, 0.9) - q(xs, 0.1) + 1.5, q(zs, 0.9) - q(zs, 0.1) + 1.5);
  return { center: [q(xs, 0.5), q(ys, 0.5), q(zs, 0.5)], floorY, extent };
}

/** How many joints carry the body (PHALP's last joint is the model origin, always zero). */
export function bodyJointCount(jointSet: string, jointNames: readonly string[]): number {
  return jointSet === 'phalp45' && jointNames[jointNames.length - 1] === 'Origin' ? jointNames.length - 1 : jointNames.length;
}
