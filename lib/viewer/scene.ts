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
  let sx = 0, sy = 0, sz = 0, n = 0;
  let minX = Infinity, maxX = -Infinity, minZ = Infinity, maxZ = -Infinity;
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
      sx += t.tx; sy += -t.ty; sz += -t.tz; n++;
      minX = Math.min(minX, t.tx); maxX = Math.max(maxX, t.tx);
      minZ = Math.min(minZ, -t.tz); maxZ = Math.max(maxZ, -t.tz);
    }
  }
  if (n === 0) return { center: [0, 0, 0], floorY: -1, extent: 3 };
  lows.sort((a, b) => a - b);
  // 10th percentile of each frame's lowest point: ignores a single bad frame, keeps the feet on the grid.
  const floorY = lows[Math.floor(lows.length * 0.1)];
  const extent = Math.max(2.5, maxX - minX + 2, maxZ - minZ + 2);
  return { center: [sx / n, sy / n, sz / n], floorY, extent };
}

/** How many joints carry the body (PHALP's last joint is the model origin, always zero). */
export function bodyJointCount(jointSet: string, jointNames: readonly string[]): number {
  return jointSet === 'phalp45' && jointNames[jointNames.length - 1] === 'Origin' ? jointNames.length - 1 : jointNames.length;
}
