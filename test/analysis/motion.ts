/**
 * TEST DATA GENERATOR (not runner output): PHALP-shaped sequences of people WALKING on the spot and
 * swaying across the frame, built from a small kinematic body (thigh/shank/arm/trunk angles over time,
 * y down, camera-aligned axes as PHALP gives them), projected with PHALP's camera. Each sequence comes
 * with its noise-free truth (same frames, same persons) so smoothing can be judged against it.
 * Noise is white and Gaussian, sized like real PHALP output (raw 2D jitter around 1 % of box height per
 * frame^2, 3D around 20 mm per frame^2). Seeded: every run sees the same data.
 */
import { PHALP45 } from '../../lib/pose/joints';
import type { PersonPose, PoseFrame, PoseSequence } from '../../lib/pose/types';

export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal samples (Box-Muller). */
export function gauss(r: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(r() || 1e-12)) * Math.cos(2 * Math.PI * r());
}

type V = [number, number, number];
const J = PHALP45.names.length;
const I = Object.fromEntries(PHALP45.names.map((n, i) => [n, i])) as Record<string, number>;
const rad = (d: number) => (d * Math.PI) / 180;

/** Row-major rotation about a unit axis (Rodrigues). */
export function axisAngle(axis: V, angle: number): Float32Array {
  const [x, y, z] = axis;
  const c = Math.cos(angle), s = Math.sin(angle), C = 1 - c;
  return Float32Array.of(c + x * x * C, x * y * C - z * s, x * z * C + y * s, y * x * C + z * s, c + y * y * C, y * z * C - x * s, z * x * C - y * s, z * y * C + x * s, c + z * z * C);
}

function matMul(a: ArrayLike<number>, b: ArrayLike<number>): Float32Array {
  const o = new Float32Array(9);
  for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) o[3 * r + c] = a[3 * r] * b[c] + a[3 * r + 1] * b[3 + c] + a[3 * r + 2] * b[6 + c];
  return o;
}

/**
 * Joints (model space, metres, x right, y down, z away from the camera) of a person walking on the spot
 * facing +x (their left side away from the camera) at phase `ph` (radians of the gait cycle), turned by
 * `yaw` radians about the vertical.
 */
export function walkingPose(ph: number, yaw = 0): Float32Array {
  const kp = new Float32Array(J * 3);
  const set = (name: string, p: V) => kp.set(p, I[name] * 3);
  const bob = 0.02 * Math.sin(2 * ph);
  const pelvis: V = [0, bob, 0];
  const lean = rad(6 + 2 * Math.sin(2 * ph));
  const neck: V = [pelvis[0] + 0.5 * Math.sin(lean), pelvis[1] - 0.5 * Math.cos(lean), 0];
  const side = (s: 1 | -1, phase: number) => {
    const hip: V = [0, pelvis[1] + 0.02, 0.1 * s];
    const th = rad(25 * Math.sin(phase));
    const knee: V = [hip[0] + 0.45 * Math.sin(th), hip[1] + 0.45 * Math.cos(th), hip[2]];
    const flex = rad(30 + 25 * Math.sin(phase + 1.2));
    const sh = th - flex;
    const ankle: V = [knee[0] + 0.43 * Math.sin(sh), knee[1] + 0.43 * Math.cos(sh), hip[2]];
    const footA = sh + rad(90 + 8 * Math.sin(phase)); // the foot at ~right angles to the shank
    const toe: V = [ankle[0] + 0.16 * Math.sin(footA), ankle[1] + 0.16 * Math.cos(footA), hip[2] + 0.02 * s];
    const heel: V = [ankle[0] - 0.06 * Math.sin(footA), ankle[1] - 0.06 * Math.cos(footA) + 0.03, hip[2]];
    const small: V = [toe[0] - 0.03, toe[1], toe[2] + 0.04 * s];
    const shoulder: V = [neck[0], neck[1] + 0.03, 0.18 * s];
    const arm = rad(-22 * Math.sin(phase));
    const elbow: V = [shoulder[0] + 0.3 * Math.sin(arm), shoulder[1] + 0.3 * Math.cos(arm), shoulder[2]];
    const fore = arm + rad(35 + 10 * Math.sin(phase));
    const wrist: V = [elbow[0] + 0.27 * Math.sin(fore), elbow[1] + 0.27 * Math.cos(fore), elbow[2]];
    return { hip, knee, ankle, toe, heel, small, shoulder, elbow, wrist };
  };
  const L = side(1, ph), R = side(-1, ph + Math.PI);
  for (const [p, s] of [['L', L], ['R', R]] as const) {
    set(`${p}Hip`, s.hip); set(`${p}Knee`, s.knee); set(`${p}Ankle`, s.ankle); set(`${p}BigToe`, s.toe);
    set(`${p}SmallToe`, s.small); set(`${p}Heel`, s.heel); set(`${p}Shoulder`, s.shoulder); set(`${p}Elbow`, s.elbow);
    set(`${p}Wrist`, s.wrist);
    for (const j of ['Ankle', 'Knee', 'Hip', 'Wrist', 'Elbow', 'Shoulder']) set(`${p}${j}_extra`, s[j.toLowerCase() as keyof typeof s]);
  }
  const head: V = [neck[0] + 0.05, neck[1] - 0.15, 0];
  set('Neck', neck); set('Neck_extra', neck); set('MidHip', [0, pelvis[1] + 0.02, 0]); set('Pelvis', pelvis);
  set('Nose', [head[0] + 0.09, head[1] + 0.02, 0]); set('REye', [head[0] + 0.08, head[1] - 0.02, -0.03]); set('LEye', [head[0] + 0.08, head[1] - 0.02, 0.03]);
  set('REar', [head[0], head[1], -0.07]); set('LEar', [head[0], head[1], 0.07]); set('HeadTop', [head[0], head[1] - 0.12, 0]);
  set('Thorax', [neck[0], neck[1] + 0.05, 0]); set('Spine', [neck[0] / 2, (neck[1] + pelvis[1]) / 2, 0]);
  set('Jaw', [head[0] + 0.07, head[1] + 0.07, 0]); set('Head', head);
  // joint 44 (Origin) stays zeros, as in PHALP
  if (yaw) {
    const c = Math.cos(yaw), s = Math.sin(yaw);
    for (let j = 0; j < J - 1; j++) {
      const x = kp[3 * j], z = kp[3 * j + 2];
      kp[3 * j] = c * x + s * z;
      kp[3 * j + 2] = -s * x + c * z;
    }
  }
  return kp;
}

export interface MotionOptions {
  frames: number;
  people: number;
  fps?: number;
  width?: number;
  height?: number;
  seed?: number;
  /** per-axis 2D noise, fraction of box height (default 0.0035: ~1 % jitter) */
  noise2d?: number;
  /** per-axis 3D noise, metres (default 0.006: ~20 mm/frame^2 jitter) */
  noise3d?: number;
  /** per-axis SMPL rotation noise, radians (default 0.03) */
  noiseRot?: number;
  /** PHALP-like ghosts: every `holdEvery` frames a track is held (stale copy) for 3 frames; 0 = never */
  holdEvery?: number;
}

export interface Motion {
  raw: PoseSequence;
  truth: PoseSequence;
}

/** A clip of `people` walkers (track ids 1..people), with noise, held ghosts and its truth. */
export function walkingClip(opts: MotionOptions): Motion {
  const { frames: n, people, fps = 30, width = 1920, height = 1080, seed = 1, noise2d = 0.0035, noise3d = 0.006, noiseRot = 0.03, holdEvery = 211 } = opts;
  const g = gauss(rng(seed));
  const S = Math.max(width, height);
  const fx = (5000 * S) / 256;
  const cx = S / 2 - Math.floor((S - width) / 2), cy = S / 2 - Math.floor((S - height) / 2);
  const project = (kp: Float32Array, cam: V) => {
    const out = new Float32Array(J * 2);
    for (let j = 0; j < J; j++) {
      const z = kp[3 * j + 2] + cam[2];
      out[2 * j] = (fx * (kp[3 * j] + cam[0])) / z + cx;
      out[2 * j + 1] = (fx * (kp[3 * j + 1] + cam[1])) / z + cy;
    }
    return out;
  };
  const box = (kp2: Float32Array): [number, number, number, number] => {
    let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    for (let j = 0; j < 25; j++) {
      x0 = Math.min(x0, kp2[2 * j]); x1 = Math.max(x1, kp2[2 * j]);
      y0 = Math.min(y0, kp2[2 * j + 1]); y1 = Math.max(y1, kp2[2 * j + 1]);
    }
    const m = 0.08 * (y1 - y0);
    return [x0 - m, y0 - m, x1 - x0 + 2 * m, y1 - y0 + 2 * m];
  };
  const rawFrames: PoseFrame[] = [], truthFrames: PoseFrame[] = [];
  const last = new Map<number, { raw: PersonPose; truth: PersonPose }>();
  const betas = Array.from({ length: people }, (_, k) => Float32Array.from({ length: 10 }, (_, i) => Math.sin(k + i)));
  for (let f = 0; f < n; f++) {
    const t = f / fps;
    const rawP: PersonPose[] = [], truthP: PersonPose[] = [];
    for (let k = 1; k <= people; k++) {
      if (k > 1 && f < 15 * (k - 1)) continue; // later people enter later
      const held = holdEvery > 0 && (f + 37 * k) % holdEvery < 3 && last.has(k) ? ((f + 37 * k) % holdEvery) + 1 : 0;
      if (held) {
        const prev = last.get(k)!;
        const ghost = (p: PersonPose): PersonPose => ({ ...p, state: 'held', frames_since_seen: held, tracking_confidence: (p.confidence ?? 0) * 0.85 ** held });
        rawP.push(ghost(prev.raw));
        truthP.push(ghost(prev.truth));
        continue;
      }
      const ph = 2 * Math.PI * 0.9 * t + k * 1.3; // ~0.9 gait cycles per second
      const yaw = k % 2 ? 0 : Math.PI; // the second walker faces the other way
      const kp3 = walkingPose(ph, yaw + 0.3 * Math.sin(t / 3 + k));
      const cam: V = [-1.2 + 2.2 * (k - 1) + 0.8 * Math.sin((2 * Math.PI * t) / 17 + k), 0.25, 95 + 8 * Math.sin(t / 5 + k)];
      const kp2 = project(kp3, cam);
      const bbox = box(kp2);
      const go = matMul(axisAngle([1, 0, 0], Math.PI), axisAngle([0, 1, 0], yaw + 0.3 * Math.sin(t / 3 + k) - Math.PI / 2));
      const body = new Float32Array(207);
      for (let r = 0; r < 23; r++) body.set(axisAngle([1, 0, 0], 0.5 * Math.sin(ph + r)), 9 * r);
      const truth: PersonPose = {
        track_id: k, state: 'detected', confidence: 0.95, tracking_confidence: 0.95, frames_since_seen: 0,
        smpl: { global_orient: go, body_pose: body, betas: betas[k - 1] }, camera: { tx: cam[0], ty: cam[1], tz: cam[2] },
        keypoints_3d: kp3, keypoints_2d: kp2, keypoint_scores: null, bbox,
      };
      const h = bbox[3];
      const n3 = Float32Array.from(kp3, (v, i) => (Math.floor(i / 3) === J - 1 ? 0 : v + noise3d * g()));
      const n2 = Float32Array.from(kp2, (v) => v + noise2d * h * g());
      const noisyRot = (m: Float32Array, at: number) => {
        const axis: V = [g(), g(), g()];
        const l = Math.hypot(...axis) || 1;
        return matMul(axisAngle([axis[0] / l, axis[1] / l, axis[2] / l], noiseRot * Math.hypot(g(), g(), g())), m.subarray(at, at + 9));
      };
      const nBody = new Float32Array(207);
      for (let r = 0; r < 23; r++) nBody.set(noisyRot(body, 9 * r), 9 * r);
      const raw: PersonPose = {
        ...truth,
        smpl: { global_orient: noisyRot(go, 0), body_pose: nBody, betas: betas[k - 1] },
        camera: { tx: cam[0] + 0.01 * g(), ty: cam[1] + 0.01 * g(), tz: cam[2] + 0.5 * g() },
        keypoints_3d: n3,
        keypoints_2d: n2,
        bbox: box(n2),
      };
      rawP.push(raw);
      truthP.push(truth);
      last.set(k, { raw, truth });
    }
    rawFrames.push({ frame_number: f, timestamp: t, persons: rawP });
    truthFrames.push({ frame_number: f, timestamp: t, persons: truthP });
  }
  const seq = (frames: PoseFrame[]): PoseSequence => ({
    runner: 'phalp', joint_set: PHALP45.name, joint_names: [...PHALP45.names], width, height, fps, frame_count: n,
    intrinsics: { fx, fy: fx, cx, cy }, frames,
  });
  return { raw: seq(rawFrames), truth: seq(truthFrames) };
}
