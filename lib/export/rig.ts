import type { PersonPose } from '../pose/types';
import { BLAZEPOSE33, PHALP45 } from '../pose/joints';
import { fitRotation, IDENTITY, mul, norm, sub, swing, transpose, apply, type Mat3, type Vec3 } from './math';

/**
 * A keypoint skeleton ("rig") for the BVH and the glTF skeleton exports: a joint tree over a joint set's
 * keypoints (plus virtual joints such as a hip centre), and the solver that turns an athlete's per-frame
 * 3D keypoints into a rest pose and per-frame joint rotations.
 *
 * Solved per athlete, in OUR camera axes (OpenCV: x right, y down, z forward, metres); the writers map
 * axes afterwards (lib/export/axes.ts):
 * - rest offsets: each bone's MEDIAN length over the athlete's frames, pointing as in the athlete's first
 *   frame (so the first frame has identity rotations);
 * - world rotation of a joint: with one child, the previous frame's rotation turned by the smallest
 *   rotation that points the bone at the child's position (twist carried over, no flips); with several
 *   children, the best fit of all child bones (Horn's quaternion method); leaves keep the parent's.
 *   Near-duplicate joints (HMR2's _extra twins of limb joints, the model origin) do not steer their parent;
 * - local rotation = parent world^T x world; root translation = the root's camera-space position;
 * - local translation of every joint = its own position in the parent's rotated frame: the per-frame
 *   estimates change bone lengths by 1-2 cm (measured on the PHALP samples: up to 5 cm between neck and
 *   hips), which rotations alone cannot reproduce, so each joint also carries position channels that
 *   make world positions exact. With one child, that translation is the rest offset stretched along the bone.
 */

export interface RigDef {
  jointSet: string;
  /** joint names in the rig's order (parents before children) */
  names: string[];
  /** parent index per joint, -1 for the root (index 0) */
  parents: number[];
  /** the keypoint each joint is, or -1 for a virtual joint */
  keypoint: number[];
  /** false for joints that do not steer their parent's rotation (near-duplicates such as HMR2's _extra joints) */
  drives: boolean[];
  /** camera-space position of every rig joint from a joint set's keypoints (J*3, metres) */
  positions(kp: ArrayLike<number>): Vec3[];
}

const k = (kp: ArrayLike<number>, i: number): Vec3 => [kp[i * 3], kp[i * 3 + 1], kp[i * 3 + 2]];
const mid = (a: Vec3, b: Vec3): Vec3 => [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2, (a[2] + b[2]) / 2];

/** Builds a RigDef from (name, parent name, keypoint index | virtual position function) rows in any order. */
function rig(jointSet: string, rootName: string, rows: [string, string | null, number | ((kp: ArrayLike<number>) => Vec3)][], passive: (name: string) => boolean = () => false): RigDef {
  const byName = new Map(rows.map((r) => [r[0], r]));
  const order: string[] = [];
  const visit = (name: string) => {
    order.push(name);
    for (const r of rows) if (r[1] === name) visit(r[0]);
  };
  visit(rootName);
  if (order.length !== rows.length) throw new Error(`rig ${jointSet}: ${rows.length - order.length} joints not reachable from ${rootName}`);
  const index = new Map(order.map((n, i) => [n, i]));
  const src = order.map((n) => byName.get(n)![2]);
  return {
    jointSet,
    names: order,
    parents: order.map((n) => (byName.get(n)![1] === null ? -1 : index.get(byName.get(n)![1]!)!)),
    keypoint: src.map((s) => (typeof s === 'number' ? s : -1)),
    drives: order.map((n) => !passive(n)),
    positions: (kp) => src.map((s) => (typeof s === 'number' ? k(kp, s) : s(kp))),
  };
}

const P = PHALP45.names;
const p45 = (name: string, parent: string | null): [string, string | null, number] => {
  const i = P.indexOf(name);
  if (i < 0) throw new Error(`phalp45 has no joint ${name}`);
  return [name, parent, i];
};

/**
 * phalp45: rooted at MidHip; BODY_25 limbs, the spine through Pelvis/Spine/Thorax (Pelvis turned by the
 * spine and HMR2's two hip joints, which hang off it), the other _extra joints hang off their BODY_25 twins.
 */
export const PHALP45_RIG: RigDef = rig('phalp45', 'MidHip', [
  p45('MidHip', null),
  p45('RHip', 'MidHip'), p45('RKnee', 'RHip'), p45('RAnkle', 'RKnee'), p45('RHeel', 'RAnkle'), p45('RBigToe', 'RAnkle'), p45('RSmallToe', 'RBigToe'),
  p45('LHip', 'MidHip'), p45('LKnee', 'LHip'), p45('LAnkle', 'LKnee'), p45('LHeel', 'LAnkle'), p45('LBigToe', 'LAnkle'), p45('LSmallToe', 'LBigToe'),
  p45('Pelvis', 'MidHip'), p45('Spine', 'Pelvis'), p45('Thorax', 'Spine'), p45('Neck', 'Thorax'),
  p45('RShoulder', 'Neck'), p45('RElbow', 'RShoulder'), p45('RWrist', 'RElbow'),
  p45('LShoulder', 'Neck'), p45('LElbow', 'LShoulder'), p45('LWrist', 'LElbow'),
  p45('Neck_extra', 'Neck'), p45('Head', 'Neck_extra'), p45('Jaw', 'Head'), p45('HeadTop', 'Head'), p45('Nose', 'Head'),
  p45('REye', 'Nose'), p45('REar', 'REye'), p45('LEye', 'Nose'), p45('LEar', 'LEye'),
  p45('RHip_extra', 'Pelvis'), p45('RKnee_extra', 'RKnee'), p45('RAnkle_extra', 'RAnkle'),
  p45('LHip_extra', 'Pelvis'), p45('LKnee_extra', 'LKnee'), p45('LAnkle_extra', 'LAnkle'),
  p45('RShoulder_extra', 'RShoulder'), p45('RElbow_extra', 'RElbow'), p45('RWrist_extra', 'RWrist'),
  p45('LShoulder_extra', 'LShoulder'), p45('LElbow_extra', 'LElbow'), p45('LWrist_extra', 'LWrist'),
  p45('Origin', 'MidHip'),
], (name) => (name.endsWith('_extra') && !['RHip_extra', 'LHip_extra', 'Neck_extra'].includes(name)) || name === 'Origin');

const B = BLAZEPOSE33.names;
const b33 = (name: string, parent: string | null): [string, string | null, number] => {
  const i = B.indexOf(name);
  if (i < 0) throw new Error(`blazepose33 has no joint ${name}`);
  return [name, parent, i];
};
const hips = (kp: ArrayLike<number>) => mid(k(kp, B.indexOf('left_hip')), k(kp, B.indexOf('right_hip')));
const chest = (kp: ArrayLike<number>) => mid(k(kp, B.indexOf('left_shoulder')), k(kp, B.indexOf('right_shoulder')));

/** blazepose33: two virtual joints, Hips (hip centre, the root) and Chest (shoulder centre). */
export const BLAZEPOSE33_RIG: RigDef = rig('blazepose33', 'Hips', [
  ['Hips', null, hips],
  b33('left_hip', 'Hips'), b33('left_knee', 'left_hip'), b33('left_ankle', 'left_knee'), b33('left_heel', 'left_ankle'), b33('left_foot_index', 'left_ankle'),
  b33('right_hip', 'Hips'), b33('right_knee', 'right_hip'), b33('right_ankle', 'right_knee'), b33('right_heel', 'right_ankle'), b33('right_foot_index', 'right_ankle'),
  ['Chest', 'Hips', chest],
  b33('left_shoulder', 'Chest'), b33('left_elbow', 'left_shoulder'), b33('left_wrist', 'left_elbow'),
  b33('left_pinky', 'left_wrist'), b33('left_index', 'left_wrist'), b33('left_thumb', 'left_wrist'),
  b33('right_shoulder', 'Chest'), b33('right_elbow', 'right_shoulder'), b33('right_wrist', 'right_elbow'),
  b33('right_pinky', 'right_wrist'), b33('right_index', 'right_wrist'), b33('right_thumb', 'right_wrist'),
  b33('nose', 'Chest'), b33('mouth_left', 'nose'), b33('mouth_right', 'nose'),
  b33('left_eye_inner', 'nose'), b33('left_eye', 'left_eye_inner'), b33('left_eye_outer', 'left_eye'), b33('left_ear', 'left_eye_outer'),
  b33('right_eye_inner', 'nose'), b33('right_eye', 'right_eye_inner'), b33('right_eye_outer', 'right_eye'), b33('right_ear', 'right_eye_outer'),
]);

const RIGS: Record<string, RigDef> = { phalp45: PHALP45_RIG, blazepose33: BLAZEPOSE33_RIG };

export function rigFor(jointSet: string): RigDef {
  const r = RIGS[jointSet];
  if (!r) throw new Error(`no skeleton for joint set '${jointSet}' (known: ${Object.keys(RIGS).join(', ')})`);
  return r;
}

/** Keypoints in camera space (model space + PHALP's camera translation), metres, our axes. */
export function cameraSpaceKeypoints(p: PersonPose): Float64Array {
  const out = Float64Array.from(p.keypoints_3d);
  if (p.camera) {
    for (let i = 0; i < out.length; i += 3) {
      out[i] += p.camera.tx;
      out[i + 1] += p.camera.ty;
      out[i + 2] += p.camera.tz;
    }
  }
  return out;
}

export interface RigFrame {
  /** false when the athlete is absent from this frame: the values repeat the nearest earlier (else later) frame */
  present: boolean;
  /** local rotation per joint (root: world), row-major 3x3, our axes */
  rotations: Mat3[];
  /** local translation per joint in the parent's rotated frame (root: camera-space position), metres */
  translations: Vec3[];
}

export interface RigAnimation {
  rig: RigDef;
  /** rest offsets from the parent (root: [0,0,0]), metres, our axes */
  restOffsets: Vec3[];
  /** number of frames */
  count: number;
  /**
   * The solved frames, in order, computed as they are read (each call solves afresh): a writer can
   * stream them without holding every frame's rotations.
   */
  frames(): Generator<RigFrame>;
}

/**
 * Plans the rig for one athlete: rest pose now, frames solved lazily. `positions[t]` is the camera-space
 * keypoints (J*3) at output frame t, or null where the athlete is absent. Throws when the athlete is never present.
 */
export function solveRig(rigDef: RigDef, positions: (ArrayLike<number> | null)[]): RigAnimation {
  const J = rigDef.names.length;
  const at = (t: number): Vec3[] | null => {
    const kp = positions[t];
    return kp && allFinite(kp) ? rigDef.positions(kp) : null;
  };
  let first = -1;
  const lengths: number[][] = rigDef.names.map(() => []);
  let firstPose: Vec3[] | null = null;
  for (let t = 0; t < positions.length; t++) {
    const p = at(t);
    if (!p) continue;
    if (first < 0) {
      first = t;
      firstPose = p;
    }
    rigDef.parents.forEach((parent, j) => parent >= 0 && lengths[j].push(norm(sub(p[j], p[parent]))));
  }
  if (first < 0 || !firstPose) throw new Error('the athlete is not present in any exported frame');

  // rest pose: median bone lengths, directions of the first frame
  const restOffsets: Vec3[] = rigDef.parents.map((parent, j) => {
    if (parent < 0) return [0, 0, 0];
    const sorted = lengths[j].sort((a, b) => a - b);
    const median = sorted[sorted.length >> 1];
    const d = sub(firstPose![j], firstPose![parent]);
    const l = norm(d);
    return l > 1e-9 ? [(d[0] / l) * median, (d[1] / l) * median, (d[2] / l) * median] : [0, median, 0];
  });
  // the children that steer each joint's rotation (bones of some length)
  const steering: number[][] = rigDef.names.map(() => []);
  rigDef.parents.forEach((parent, j) => parent >= 0 && rigDef.drives[j] && norm(restOffsets[j]) > 1e-6 && steering[parent].push(j));
  const steerRest = steering.map((kids) => kids.map((c) => restOffsets[c]));
  const steerWeight = steering.map((kids) => kids.map((c) => norm(restOffsets[c])));

  const solve = (p: Vec3[], world: Mat3[]): { frame: RigFrame; world: Mat3[] } => {
    const next: Mat3[] = new Array(J);
    for (let j = 0; j < J; j++) {
      const kids = steering[j];
      if (kids.length === 0) next[j] = rigDef.parents[j] >= 0 ? next[rigDef.parents[j]] : [...IDENTITY];
      else if (kids.length === 1) {
        const c = kids[0];
        next[j] = mul(swing(apply(world[j], restOffsets[c]), sub(p[c], p[j])), world[j]);
      } else {
        next[j] = fitRotation(steerRest[j], kids.map((c) => sub(p[c], p[j])), steerWeight[j]);
      }
    }
    const frame: RigFrame = {
      present: true,
      rotations: next.map((w, j) => (rigDef.parents[j] < 0 ? w : mul(transpose(next[rigDef.parents[j]]), w))),
      translations: p.map((pj, j) => (rigDef.parents[j] < 0 ? pj : apply(transpose(next[rigDef.parents[j]]), sub(pj, p[rigDef.parents[j]])))),
    };
    return { frame, world: next };
  };

  function* frames(): Generator<RigFrame> {
    // absent frames hold the nearest earlier solved frame (the first solved one before the athlete appears)
    let state = solve(firstPose!, rigDef.names.map(() => [...IDENTITY]));
    for (let t = 0; t < first; t++) yield { ...state.frame, present: false };
    yield state.frame;
    for (let t = first + 1; t < positions.length; t++) {
      const p = at(t);
      if (!p) {
        yield { ...state.frame, present: false };
        continue;
      }
      state = solve(p, state.world);
      yield state.frame;
    }
  }
  return { rig: rigDef, restOffsets, count: positions.length, frames };
}

function allFinite(a: ArrayLike<number>): boolean {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) return false;
  return true;
}

/** World positions of every rig joint from a solved frame (forward kinematics): what a BVH/glTF reader computes. */
export function forwardKinematics(anim: RigAnimation, frame: RigFrame): Vec3[] {
  const { parents } = anim.rig;
  const world: Mat3[] = [];
  const out: Vec3[] = [];
  for (let j = 0; j < parents.length; j++) {
    const p = parents[j];
    if (p < 0) {
      world[j] = frame.rotations[j];
      out[j] = frame.translations[j];
    } else {
      world[j] = mul(world[p], frame.rotations[j]);
      const t = apply(world[p], frame.translations[j]);
      out[j] = [out[p][0] + t[0], out[p][1] + t[1], out[p][2] + t[2]];
    }
  }
  return out;
}
