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
  /** three.js centre of the box holding every track's usual positions */
  center: [number, number, number];
  /** three.js y of the ground (lowest body point, robust over frames) */
  floorY: number;
  /** size of that box (x, y, z), metres, bodies included */
  size: [number, number, number];
  /** rough size of the action, metres (the box's largest side) */
  extent: number;
}

/** Robust quantile of an unsorted list (sorts it in place). */
function quantile(v: number[], f: number): number {
  v.sort((a, b) => a - b);
  return v[Math.min(v.length - 1, Math.floor(v.length * f))];
}

/**
 * Ground level and framing for the whole clip, from detected frames only.
 *
 * The box is the union of every TRACK's 10th-90th percentile range, not a percentile over all
 * person-frames: a track seen for 20 frames of 230 (someone leaving early) must still be in the
 * picture, while a few frames with a bad depth estimate must not push the camera away.
 */
export function sceneFrame(seq: PoseSequence, jointCount: number): SceneFrame {
  const t = { tx: 0, ty: 0, tz: 0 };
  const lows: number[] = [];
  const perTrack = new Map<number, { x: number[]; z: number[]; top: number[] }>();
  for (const frame of seq.frames) {
    for (const p of frame.persons) {
      if (p.state !== 'detected') continue;
      personTranslation(p, seq, t);
      let low = Infinity, high = -Infinity, mx = 0, mz = 0;
      // Joint count excludes PHALP's zero 'Origin' row, which is not a body point.
      for (let j = 0; j < jointCount; j++) {
        const y = -(p.keypoints_3d[3 * j + 1] + t.ty);
        if (y < low) low = y;
        if (y > high) high = y;
        mx += p.keypoints_3d[3 * j] + t.tx;
        mz += -(p.keypoints_3d[3 * j + 2] + t.tz);
      }
      lows.push(low);
      let track = perTrack.get(p.track_id);
      if (!track) perTrack.set(p.track_id, (track = { x: [], z: [], top: [] }));
      track.x.push(mx / jointCount);
      track.z.push(mz / jointCount);
      track.top.push(high);
    }
  }
  if (perTrack.size === 0) return { center: [0, 0, 0], floorY: -1, size: [2.5, 2, 2.5], extent: 2.5 };
  // 10th percentile of each frame's lowest point: ignores a single bad frame, keeps the feet on the grid.
  const floorY = quantile(lows, 0.1);
  const lo = [Infinity, floorY, Infinity];
  const hi = [-Infinity, floorY + 1.8, -Infinity];
  for (const track of perTrack.values()) {
    lo[0] = Math.min(lo[0], quantile(track.x, 0.1));
    hi[0] = Math.max(hi[0], quantile(track.x, 0.9));
    lo[2] = Math.min(lo[2], quantile(track.z, 0.1));
    hi[2] = Math.max(hi[2], quantile(track.z, 0.9));
    hi[1] = Math.max(hi[1], quantile(track.top, 0.9));
  }
  // Body width around the centre points: half a metre each side (arms, a stride).
  const size: [number, number, number] = [hi[0] - lo[0] + 1, hi[1] - lo[1], hi[2] - lo[2] + 1];
  return {
    center: [(lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2, (lo[2] + hi[2]) / 2],
    floorY,
    size,
    extent: Math.max(...size),
  };
}

export type ViewPreset = 'front' | 'side' | 'top';

/** Unit direction from the target to the camera for each preset, and the screen's up hint. */
const PRESET_DIRECTION: Record<ViewPreset, { dir: [number, number, number]; up: [number, number, number] }> = {
  // Slightly above the people, looking a little down: the ground reads as a floor.
  front: { dir: [0, 0.3, 1], up: [0, 1, 0] },
  side: { dir: [1, 0.3, 0], up: [0, 1, 0] },
  // Straight down (the tiny z keeps orbit controls away from their pole).
  top: { dir: [0, 1, 0.001], up: [0, 0, -1] },
};

/**
 * Where the 3D camera goes for a preset: looking at the centre of the scene box from the preset's
 * direction, at the smallest distance where every corner of the box is inside the view (vertical
 * field of view `fovDeg`, width/height `aspect`) with a 10 % margin, so the athletes fill the picture.
 * Front looks along -z (as the video camera does), side along -x, top straight down.
 */
export function presetCamera(frame: SceneFrame, preset: ViewPreset, aspect: number, fovDeg: number): { position: [number, number, number]; target: [number, number, number] } {
  const target = frame.center;
  const { dir: d0, up: upHint } = PRESET_DIRECTION[preset];
  const len = Math.hypot(...d0);
  const dir = d0.map((v) => v / len);
  // camera basis: forward = -dir; right = forward x up; up = right x forward
  const fwd = dir.map((v) => -v);
  const right = normalize(crossV(fwd, upHint));
  const up = crossV(right, fwd);
  const tanV = Math.tan((fovDeg * Math.PI) / 360) / 1.1;
  const tanH = tanV * Math.max(0.2, aspect);
  const corners: number[][] = [];
  for (const sx of [-1, 1]) for (const sy of [-1, 1]) for (const sz of [-1, 1]) {
    corners.push([sx * frame.size[0] / 2, sy * frame.size[1] / 2, sz * frame.size[2] / 2]);
  }
  // Does the box fit when the camera is `s` metres from the target? (monotonic in s: bisect)
  const fits = (s: number) => corners.every((c) => {
    const v = [c[0] - dir[0] * s, c[1] - dir[1] * s, c[2] - dir[2] * s]; // corner - camera, relative to the target
    const depth = dotV(v, fwd);
    return depth > 0 && Math.abs(dotV(v, right)) <= depth * tanH && Math.abs(dotV(v, up)) <= depth * tanV;
  });
  let lo = 0, hi = 1;
  while (!fits(hi) && hi < 1e5) hi *= 2;
  for (let i = 0; i < 40; i++) {
    const mid = (lo + hi) / 2;
    if (fits(mid)) hi = mid;
    else lo = mid;
  }
  return { position: [target[0] + dir[0] * hi, target[1] + dir[1] * hi, target[2] + dir[2] * hi], target: [...target] };
}

const dotV = (a: ArrayLike<number>, b: ArrayLike<number>) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
const crossV = (a: ArrayLike<number>, b: ArrayLike<number>): [number, number, number] => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
const normalize = (a: [number, number, number]): [number, number, number] => {
  const n = Math.hypot(...a) || 1;
  return [a[0] / n, a[1] / n, a[2] / n];
};

/** How many joints carry the body (PHALP's last joint is the model origin, always zero). */
export function bodyJointCount(jointSet: string, jointNames: readonly string[]): number {
  return jointSet === 'phalp45' && jointNames[jointNames.length - 1] === 'Origin' ? jointNames.length - 1 : jointNames.length;
}
