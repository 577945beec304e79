/**
 * Joint angles: one definition table (ANGLE_DEFS) for every joint set, computed from a person's 3D
 * keypoints (degrees). Pure functions, no Node/React imports: the same module runs in the worker, the
 * frames API, the bench and the browser player.
 *
 * Frame of reference. Both runners give keypoints_3d in CAMERA-ALIGNED axes, OpenCV style: x right,
 * y DOWN, z forward (away from the camera); "up" is therefore -y.
 * - PHALP: SMPL model space. HMR2's global_orient already carries the body's rotation relative to the
 *   camera, so model-space axes are the camera's axes; only the translation (`camera`) is missing.
 * - CPU runner: BlazePose GHUM world landmarks, hip-centred, rotated back by the crop angle so they stay
 *   aligned with the camera (worker/runners/cpu/blazepose.ts).
 * So "the vertical" used by the trunk and pelvis angles is the CAMERA's vertical axis, not gravity. A
 * camera rolled by r degrees adds up to r degrees of side lean; a camera pitched down by p degrees (a
 * tripod looking down at the athlete) reads an upright athlete as leaning back/forward by up to p
 * degrees (depending on whether the athlete faces the camera). Three-point joint angles (knee, hip,
 * elbow, shoulder, ankle, trunk rotation) do not depend on the camera's orientation.
 *
 * Sides are the ATHLETE's: 'left_knee' is the athlete's left knee (both joint sets name joints that way).
 * Every value whose joints are not all present and finite, or whose segments have zero length, is null
 * (never 0).
 *
 * Trust cue (angleDepthDominated): a single camera measures x and y from the image but z (depth) only
 * from the model's prior about bodies, so a limb segment pointing along the camera's line of sight is
 * foreshortened in the image and its direction comes almost entirely from guessed depth. An angle is
 * low-validity when ANY of its segments is within ~37 degrees of the line of sight: |cos| > 0.8, i.e. the
 * segment's image projection is shorter than 60 % of its length.
 */
import { jointSet } from './joints';
import type { CameraTranslation } from './types';

export interface AngleDef {
  name: string;
  label: string;
  /** the joint names used (canonical names, see CANONICAL below); vertex in the middle for 3-point angles */
  joints: string[];
  side: 'left' | 'right' | 'center';
  /** expected degrees range, for chart axes */
  range: [number, number];
  /** how it is defined, sign convention */
  description: string;
}

/** Canonical joint names the table uses; each joint set maps them to its own joints (resolveJoints). */
export type Canonical =
  | 'left_shoulder' | 'right_shoulder' | 'left_elbow' | 'right_elbow' | 'left_wrist' | 'right_wrist'
  | 'left_hip' | 'right_hip' | 'left_knee' | 'right_knee' | 'left_ankle' | 'right_ankle'
  | 'left_heel' | 'right_heel' | 'left_toe' | 'right_toe';

type Kind =
  | { kind: 'flexion'; a: Canonical; b: Canonical; c: Canonical } // 180 - angle(a, b, c)
  | { kind: 'angle'; a: Canonical; b: Canonical; c: Canonical } // angle(a, b, c)
  | { kind: 'ankle'; side: 'left' | 'right' }
  | { kind: 'trunk_lean' }
  | { kind: 'trunk_forward_lean' }
  | { kind: 'pelvis_obliquity' }
  | { kind: 'yaw'; line: 'hip' | 'shoulder' }
  | { kind: 'trunk_rotation' };

interface Def extends AngleDef {
  k: Kind;
}

const side3 = (s: 'left' | 'right', a: string, b: string, c: string) =>
  [`${s}_${a}`, `${s}_${b}`, `${s}_${c}`] as [Canonical, Canonical, Canonical];

function flexion(side: 'left' | 'right', what: string, [a, b, c]: [Canonical, Canonical, Canonical], range: [number, number], what2: string): Def {
  return {
    name: `${side}_${what}_flexion`,
    label: `${side === 'left' ? 'L' : 'R'} ${what} flexion`,
    joints: [a, b, c],
    side,
    range,
    description: `180 - angle(${a}, ${b}, ${c}); 0 = ${what2} straight, grows with flexion; unsigned`,
    k: { kind: 'flexion', a, b, c },
  };
}

const SIDES = ['left', 'right'] as const;
const HIPS_SHOULDERS: Canonical[] = ['left_hip', 'right_hip', 'left_shoulder', 'right_shoulder'];

const DEFS: Def[] = [
  ...SIDES.map((s) => flexion(s, 'knee', side3(s, 'hip', 'knee', 'ankle'), [0, 160], 'leg')),
  ...SIDES.map((s) => ({
    ...flexion(s, 'hip', side3(s, 'shoulder', 'hip', 'knee'), [0, 150], 'trunk and thigh in line'),
    description: `180 - angle(${s}_shoulder, ${s}_hip, ${s}_knee); 0 = trunk and thigh in line; unsigned (a thigh behind the trunk also reads positive)`,
  })),
  ...SIDES.map((s) => flexion(s, 'elbow', side3(s, 'shoulder', 'elbow', 'wrist'), [0, 160], 'arm')),
  ...SIDES.map((s): Def => {
    const [a, b, c] = side3(s, 'hip', 'shoulder', 'elbow');
    return {
      name: `${s}_shoulder_elevation`, label: `${s === 'left' ? 'L' : 'R'} shoulder elevation`, joints: [a, b, c], side: s, range: [0, 180],
      description: `angle(${a}, ${b}, ${c}); 0 = arm along the trunk, 90 = arm at right angles to it, 180 = overhead`,
      k: { kind: 'angle', a, b, c },
    };
  }),
  ...SIDES.map((s): Def => ({
    name: `${s}_ankle_dorsiflexion`, label: `${s === 'left' ? 'L' : 'R'} ankle dorsiflexion`,
    joints: [`${s}_knee`, `${s}_ankle`, `${s}_heel`, `${s}_toe`], side: s, range: [-60, 40],
    description: `90 - angle(${s}_ankle->${s}_knee, ${s}_heel->${s}_toe); 0 = foot at right angles to the shank, + = dorsiflexion (toes towards the shin), - = plantarflexion`,
    k: { kind: 'ankle', side: s },
  })),
  {
    name: 'trunk_lean', label: 'Trunk lean', joints: HIPS_SHOULDERS, side: 'center', range: [0, 90],
    description: 'angle between mid-hip->mid-shoulder and the vertical (up = -y) of the 3D frame; 0 = upright; unsigned',
    k: { kind: 'trunk_lean' },
  },
  {
    name: 'trunk_forward_lean', label: 'Trunk forward lean', joints: HIPS_SHOULDERS, side: 'center', range: [-45, 90],
    description: 'trunk (mid-hip->mid-shoulder) vs the vertical, in the plane of the vertical and the pelvis forward direction; + = forward, - = backward',
    k: { kind: 'trunk_forward_lean' },
  },
  {
    name: 'pelvis_obliquity', label: 'Pelvis obliquity', joints: ['right_hip', 'left_hip'], side: 'center', range: [-30, 30],
    description: 'elevation of the hip line (right_hip->left_hip) above the horizontal plane of the 3D frame; + = left hip higher (pelvic drop on the right)',
    k: { kind: 'pelvis_obliquity' },
  },
  {
    name: 'pelvis_rotation', label: 'Pelvis rotation', joints: ['right_hip', 'left_hip'], side: 'center', range: [-180, 180],
    description:
      "heading of the pelvis about the vertical, relative to the camera: 0 = facing the camera, +90 = facing the image's right (turned towards the athlete's left), -90 = facing the image's left, ±180 = back to the camera",
    k: { kind: 'yaw', line: 'hip' },
  },
  {
    name: 'shoulder_rotation', label: 'Shoulder rotation', joints: ['right_shoulder', 'left_shoulder'], side: 'center', range: [-180, 180],
    description: 'heading of the shoulder line about the vertical, relative to the camera; same convention as pelvis_rotation',
    k: { kind: 'yaw', line: 'shoulder' },
  },
  {
    name: 'trunk_rotation', label: 'Trunk rotation', joints: HIPS_SHOULDERS, side: 'center', range: [-90, 90],
    description: 'shoulder line vs hip line about the trunk axis (hip-shoulder separation); + = shoulders turned towards the athlete\'s left relative to the pelvis; independent of the camera',
    k: { kind: 'trunk_rotation' },
  },
];
export const ANGLE_DEFS: readonly AngleDef[] = DEFS.map(({ k: _k, ...d }) => Object.freeze(d));
const DEF_BY_NAME = new Map(DEFS.map((d) => [d.name, d]));

export function angleNames(): string[] {
  return DEFS.map((d) => d.name);
}

/** |cos(segment, line of sight)| above this marks the segment depth-dominated (within ~37 degrees). */
export const DEPTH_DOMINATED_COS = 0.8;

// ---------------------------------------------------------------------------------------------------
// Joint-set mapping: canonical names -> indices, by the joint names a set uses (so a set added later
// with MediaPipe-style 'left_knee' or OpenPose-style 'LKnee' names works without a table entry).

const ALIASES: Record<Canonical, string[]> = {} as Record<Canonical, string[]>;
for (const s of SIDES) {
  const L = s === 'left' ? 'l' : 'r';
  for (const j of ['shoulder', 'elbow', 'wrist', 'hip', 'knee', 'ankle', 'heel'] as const) {
    ALIASES[`${s}_${j}` as Canonical] = [`${s}${j}`, `${L}${j}`];
  }
  // BlazePose's foot_index is the tip of the foot (second toe); OpenPose's big toe plays that role
  ALIASES[`${s}_toe` as Canonical] = [`${s}footindex`, `${L}bigtoe`, `${s}bigtoe`, `${s}toe`, `${L}toe`];
}
const norm = (name: string) => name.toLowerCase().replace(/[^a-z]/g, '');

type JointIndex = Record<Canonical, number>; // -1 when the set has no such joint
const indexCache = new Map<string, JointIndex>();

/** Canonical joint -> index in the joint set (-1 when the set lacks it). Throws for an unknown set. */
export function resolveJoints(jointSetName: string): JointIndex {
  let idx = indexCache.get(jointSetName);
  if (idx) return idx;
  const names = jointSet(jointSetName).names.map(norm);
  idx = {} as JointIndex;
  for (const c of Object.keys(ALIASES) as Canonical[]) {
    const hit = ALIASES[c].map((a) => names.indexOf(a)).find((i) => i >= 0);
    idx[c] = hit ?? -1;
  }
  indexCache.set(jointSetName, idx);
  return idx;
}

// ---------------------------------------------------------------------------------------------------
// Small vector helpers on plain numbers (no allocation in the hot path beyond tiny tuples).

type V = [number, number, number];
const DEG = 180 / Math.PI;

function point(kp: ArrayLike<number>, i: number): V | null {
  if (i < 0 || 3 * i + 2 >= kp.length) return null;
  const x = kp[3 * i], y = kp[3 * i + 1], z = kp[3 * i + 2];
  return Number.isFinite(x) && Number.isFinite(y) && Number.isFinite(z) ? [x, y, z] : null;
}
const sub = (a: V, b: V): V => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
const mid = (a: V, b: V): V => [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2, (a[2] + b[2]) / 2];
const dot = (a: V, b: V) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
const cross = (a: V, b: V): V => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
const len = (a: V) => Math.hypot(a[0], a[1], a[2]);
const UP: V = [0, -1, 0];
const EPS = 1e-9;

/** Unsigned angle between two vectors, degrees; null for a zero-length vector. */
function between(u: V, v: V): number | null {
  if (len(u) < EPS || len(v) < EPS) return null;
  return Math.atan2(len(cross(u, v)), dot(u, v)) * DEG;
}

/** Signed angle from u to v about axis n (right-handed), after projecting both onto the plane normal to n. */
function signedAbout(u: V, v: V, n: V): number | null {
  const nl = len(n);
  if (nl < EPS) return null;
  const nn: V = [n[0] / nl, n[1] / nl, n[2] / nl];
  const up = sub(u, scale(nn, dot(u, nn)));
  const vp = sub(v, scale(nn, dot(v, nn)));
  if (len(up) < EPS || len(vp) < EPS) return null;
  return Math.atan2(dot(nn, cross(up, vp)), dot(up, vp)) * DEG;
}
const scale = (a: V, s: number): V => [a[0] * s, a[1] * s, a[2] * s];

// ---------------------------------------------------------------------------------------------------

/** The points an angle needs, or null when one is missing. Segments are [from, to] pairs. */
interface Geometry {
  value: number | null;
  segments: [V, V][];
}

function geometry(def: Def, J: JointIndex, kp: ArrayLike<number>): Geometry | null {
  const p = (c: Canonical) => point(kp, J[c]);
  const k = def.k;
  switch (k.kind) {
    case 'flexion':
    case 'angle': {
      const a = p(k.a), b = p(k.b), c = p(k.c);
      if (!a || !b || !c) return null;
      const ang = between(sub(a, b), sub(c, b));
      return { value: ang === null ? null : k.kind === 'flexion' ? 180 - ang : ang, segments: [[b, a], [b, c]] };
    }
    case 'ankle': {
      const s = k.side;
      const knee = p(`${s}_knee`), ankle = p(`${s}_ankle`), heel = p(`${s}_heel`), toe = p(`${s}_toe`);
      if (!knee || !ankle || !heel || !toe) return null;
      const ang = between(sub(knee, ankle), sub(toe, heel));
      return { value: ang === null ? null : 90 - ang, segments: [[ankle, knee], [heel, toe]] };
    }
    default: {
      const lh = p('left_hip'), rh = p('right_hip');
      if (!lh || !rh) return null;
      const hipLine = sub(lh, rh);
      if (k.kind === 'pelvis_obliquity') {
        const l = len(hipLine);
        return { value: l < EPS ? null : Math.asin(Math.max(-1, Math.min(1, dot(hipLine, UP) / l))) * DEG, segments: [[rh, lh]] };
      }
      const ls = p('left_shoulder'), rs = p('right_shoulder');
      if (k.kind === 'yaw' && k.line === 'hip') return { value: yaw(hipLine), segments: [[rh, lh]] };
      if (!ls || !rs) return null;
      const shoulderLine = sub(ls, rs);
      if (k.kind === 'yaw') return { value: yaw(shoulderLine), segments: [[rs, ls]] };
      const mh = mid(lh, rh), ms = mid(ls, rs);
      const trunk = sub(ms, mh);
      if (k.kind === 'trunk_lean') return { value: between(trunk, UP), segments: [[mh, ms]] };
      if (k.kind === 'trunk_forward_lean') {
        const fwd = cross(hipLine, UP); // horizontal; points where the pelvis faces
        if (len(fwd) < EPS || len(trunk) < EPS) return { value: null, segments: [[mh, ms]] };
        const f = scale(fwd, 1 / len(fwd));
        return { value: Math.atan2(dot(trunk, f), dot(trunk, UP)) * DEG, segments: [[mh, ms]] };
      }
      // trunk_rotation
      return { value: signedAbout(hipLine, shoulderLine, trunk), segments: [[rh, lh], [rs, ls]] };
    }
  }
}

/** Heading of a left-minus-right line about the vertical: 0 = facing the camera (-z), + = turned to the athlete's left. */
function yaw(line: V): number | null {
  const f = cross(line, UP); // (line.z, 0, -line.x): the direction the body faces
  if (Math.hypot(f[0], f[2]) < EPS) return null;
  return Math.atan2(f[0], -f[2]) * DEG;
}

function defOf(name: string): Def {
  const def = DEF_BY_NAME.get(name);
  if (!def) throw new Error(`unknown angle '${name}' (known: ${angleNames().join(', ')})`);
  return def;
}

function checkKeypoints(jointSetName: string, keypoints3d: ArrayLike<number>): void {
  const J = jointSet(jointSetName).names.length;
  if (keypoints3d.length !== 3 * J) throw new Error(`keypoints_3d has ${keypoints3d.length} values; joint set '${jointSetName}' needs ${3 * J}`);
}

/** degrees|null per angle (ANGLE_DEFS order), from J*3 keypoints of the given joint set. */
export function jointAngles(jointSetName: string, keypoints3d: ArrayLike<number>): Record<string, number | null> {
  checkKeypoints(jointSetName, keypoints3d);
  const J = resolveJoints(jointSetName);
  const out: Record<string, number | null> = {};
  for (const def of DEFS) {
    const v = geometry(def, J, keypoints3d)?.value ?? null;
    out[def.name] = v !== null && Number.isFinite(v) ? v : null;
  }
  return out;
}

/**
 * Per angle: true when one of its segments points mostly along the camera's line of sight
 * (|cos| > DEPTH_DOMINATED_COS). The line of sight runs from the camera centre to the segment's
 * midpoint in camera space (keypoints + `camera` translation). Without a camera translation the line of
 * sight is taken as the optical axis (+z), i.e. an orthographic view; for PHALP (tz ~ 50-80 m because of
 * its 5000 px crop focal length) the two differ by a degree or two. An angle that cannot be computed
 * (null) is false.
 */
export function angleDepthDominated(jointSetName: string, keypoints3d: ArrayLike<number>, camera?: CameraTranslation | null): Record<string, boolean> {
  checkKeypoints(jointSetName, keypoints3d);
  const J = resolveJoints(jointSetName);
  const out: Record<string, boolean> = {};
  for (const def of DEFS) {
    const g = geometry(def, J, keypoints3d);
    out[def.name] = !!g && g.value !== null && g.segments.some(([a, b]) => segmentDepthCos(a, b, camera) > DEPTH_DOMINATED_COS);
  }
  return out;
}

/** jointAngles and angleDepthDominated in one pass over the geometry (what the frames API sends per person). */
export function anglesWithValidity(
  jointSetName: string,
  keypoints3d: ArrayLike<number>,
  camera?: CameraTranslation | null,
): { angles: Record<string, number | null>; lowValidity: Record<string, boolean> } {
  checkKeypoints(jointSetName, keypoints3d);
  const J = resolveJoints(jointSetName);
  const angles: Record<string, number | null> = {};
  const lowValidity: Record<string, boolean> = {};
  for (const def of DEFS) {
    const g = geometry(def, J, keypoints3d);
    const v = g?.value ?? null;
    angles[def.name] = v !== null && Number.isFinite(v) ? v : null;
    lowValidity[def.name] = !!g && g.value !== null && g.segments.some(([a, b]) => segmentDepthCos(a, b, camera) > DEPTH_DOMINATED_COS);
  }
  return { angles, lowValidity };
}

/** |cos| between the segment a->b and the line of sight to its midpoint. */
export function segmentDepthCos(a: V, b: V, camera?: CameraTranslation | null): number {
  const d = sub(b, a);
  const l = len(d);
  if (l < EPS) return 0;
  let los: V = [0, 0, 1];
  if (camera) {
    const m = mid(a, b);
    const c: V = [m[0] + camera.tx, m[1] + camera.ty, m[2] + camera.tz];
    if (len(c) > EPS) los = c;
  }
  return Math.abs(dot(d, los)) / (l * len(los));
}

/** The joint indices (in the joint set) of an angle's vertex b and end points a, c, for drawing arcs; null if n/a. */
export function angleJointIndices(jointSetName: string, name: string): { a: number; b: number; c: number } | null {
  const def = defOf(name);
  const J = resolveJoints(jointSetName);
  const k = def.k;
  let t: [Canonical, Canonical, Canonical] | null = null;
  if (k.kind === 'flexion' || k.kind === 'angle') t = [k.a, k.b, k.c];
  else if (k.kind === 'ankle') t = [`${k.side}_knee`, `${k.side}_ankle`, `${k.side}_toe`];
  if (!t) return null;
  const [a, b, c] = t.map((x) => J[x]);
  return a < 0 || b < 0 || c < 0 ? null : { a, b, c };
}

/**
 * Points for drawing any angle's arc (also the trunk and pelvis angles that have no single vertex joint),
 * in the keypoints' 3D frame: the arc is drawn at `vertex`, from the direction of `from` to the direction
 * of `to`. Null when the angle is null at this pose.
 */
export function angleArcPoints(jointSetName: string, keypoints3d: ArrayLike<number>, name: string): { vertex: V; from: V; to: V } | null {
  const def = defOf(name);
  const J = resolveJoints(jointSetName);
  const g = geometry(def, J, keypoints3d);
  if (!g || g.value === null) return null;
  const k = def.k;
  if (k.kind === 'flexion' || k.kind === 'angle') return { vertex: g.segments[0][0], from: g.segments[0][1], to: g.segments[1][1] };
  if (k.kind === 'ankle') {
    const [[ankle, knee], [heel, toe]] = g.segments;
    return { vertex: ankle, from: knee, to: [ankle[0] + toe[0] - heel[0], ankle[1] + toe[1] - heel[1], ankle[2] + toe[2] - heel[2]] };
  }
  const [a, b] = g.segments[0];
  const l = len(sub(b, a));
  if (k.kind === 'trunk_lean' || k.kind === 'trunk_forward_lean') return { vertex: a, from: [a[0], a[1] - l, a[2]], to: b };
  const m = mid(a, b);
  if (k.kind === 'pelvis_obliquity') {
    const hx = b[0] - a[0], hz = b[2] - a[2];
    const hl = Math.hypot(hx, hz) || 1;
    return { vertex: m, from: [m[0] + (hx / hl) * l / 2, m[1], m[2] + (hz / hl) * l / 2], to: b };
  }
  if (k.kind === 'yaw') return { vertex: m, from: [m[0] + l / 2, m[1], m[2]], to: b };
  // trunk_rotation: hip line to shoulder line, drawn at the mid-shoulder
  const [s0, s1] = g.segments[1];
  const ms = mid(s0, s1);
  return { vertex: ms, from: [ms[0] + b[0] - m[0], ms[1] + b[1] - m[1], ms[2] + b[2] - m[2]], to: s1 };
}
