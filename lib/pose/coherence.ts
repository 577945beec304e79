/**
 * Temporal coherence: frames where a track jumps beyond what a body can do. Only `detected` frames are
 * judged (held and interpolated values are not observations), each against the same track's nearby
 * detections, so a result for frame f depends only on frames within a few frames of f (the frames API
 * relies on that to smooth a window of a clip exactly as the whole clip).
 *
 * Reasons:
 * - 'teleport': the body's centre (mid-hip in 2D, else the box centre) lands further than
 *   `teleport` (0.4) box heights per elapsed frame from where its motion over the two previous detections
 *   predicts (constant velocity). Velocity is explained away, so a sprinter (~0.2 box heights per frame
 *   at 30 fps) is not a teleport; a track that jumps to another person is (`lasting`), and so is a
 *   one-frame jump whose next detection is back on the motion (`lasting` false; the jump back is not
 *   flagged again).
 * - 'limb_swap': the left and right arm (or leg) chains fit the motion prediction much better swapped
 *   than as labelled (swapped error < `swapRatio` (0.5) x labelled error, and the labelled error is more than
 *   `swapMinJump` (0.06) box heights per joint), in 2D. When the next detection fits the labelled motion
 *   again (the point between the previous and the next detection), it is a one-frame swap (`lasting`
 *   false) and the swap back is not flagged again; otherwise it is flagged once, where it starts
 *   (`lasting` true: the labelling differs from here on).
 * - 'bone_length': a 3D limb bone (upper arm, forearm, thigh, shank) differs by more than `boneChange` (30 %)
 *   (relative) from the median of the same bone over the track's other detections within
 *   +-`boneWindow` (6) frames. Bones do not stretch, so a change like that is a reconstruction failure.
 */
import { resolveJoints, type Canonical } from './angles';
import type { PersonPose, PoseSequence } from './types';

export type CoherenceReason = 'limb_swap' | 'teleport' | 'bone_length';
export interface CoherenceBreak {
  track_id: number;
  frame: number;
  reason: CoherenceReason;
  detail: string;
  /**
   * true when the jump persists (the track follows another place or labelling from here on: a teleport,
   * a swap that does not swap back); the smoother does not fit across it. false for a one-frame glitch,
   * which the smoother replaces by the fit of its neighbours.
   */
  lasting: boolean;
}

export interface CoherenceOptions {
  /** unexplained displacement of the body centre, box heights per elapsed frame; default 0.4 */
  teleport?: number;
  /** swapped error must be below this share of the labelled error; default 0.5 */
  swapRatio?: number;
  /** labelled error per joint must exceed this many box heights; default 0.06 */
  swapMinJump?: number;
  /** relative bone length change; default 0.3 */
  boneChange?: number;
  /** neighbours for the bone reference, frames either side; default 6 */
  boneWindow?: number;
  /** detections further apart than maxGap + 1 frames are not compared (the track was lost); default 3 */
  maxGap?: number;
}

export const COHERENCE_DEFAULTS: Required<CoherenceOptions> = {
  teleport: 0.4,
  swapRatio: 0.5,
  swapMinJump: 0.06,
  boneChange: 0.3,
  boneWindow: 6,
  maxGap: 3,
};

/** Frames either side of f whose data can change the verdict at f (for cutting a window exactly). */
function withDefaults(opts: CoherenceOptions): Required<CoherenceOptions> {
  const o = { ...COHERENCE_DEFAULTS };
  for (const [k, v] of Object.entries(opts)) if (v !== undefined) (o as Record<string, number>)[k] = v;
  return o;
}

export function coherenceReach(opts: CoherenceOptions = {}): number {
  const o = withDefaults(opts);
  return Math.max(3 * (o.maxGap + 1), o.boneWindow);
}

interface Det {
  frame: number;
  p: PersonPose;
}

const LIMBS: { name: string; joints: string[] }[] = [
  { name: 'arms', joints: ['shoulder', 'elbow', 'wrist'] },
  { name: 'legs', joints: ['hip', 'knee', 'ankle', 'heel', 'toe'] },
];
const BONES: [string, string, string][] = [
  ['upper arm', 'shoulder', 'elbow'],
  ['forearm', 'elbow', 'wrist'],
  ['thigh', 'hip', 'knee'],
  ['shank', 'knee', 'ankle'],
];

/** Detected person-frames of each track, in frame order. */
export function detectionsByTrack(seq: PoseSequence): Map<number, Det[]> {
  const out = new Map<number, Det[]>();
  for (const f of seq.frames) {
    for (const p of f.persons) {
      if (p.state !== 'detected') continue;
      let list = out.get(p.track_id);
      if (!list) out.set(p.track_id, (list = []));
      list.push({ frame: f.frame_number, p });
    }
  }
  return out;
}

const fin = (...xs: number[]) => xs.every(Number.isFinite);

function centre(p: PersonPose, lh: number, rh: number): [number, number] {
  const k = p.keypoints_2d;
  if (lh >= 0 && rh >= 0) {
    const x = (k[2 * lh] + k[2 * rh]) / 2, y = (k[2 * lh + 1] + k[2 * rh + 1]) / 2;
    if (fin(x, y)) return [x, y];
  }
  return [p.bbox[0] + p.bbox[2] / 2, p.bbox[1] + p.bbox[3] / 2];
}

function boneLength(kp: Float32Array, a: number, b: number): number | null {
  if (a < 0 || b < 0) return null;
  const d = Math.hypot(kp[3 * a] - kp[3 * b], kp[3 * a + 1] - kp[3 * b + 1], kp[3 * a + 2] - kp[3 * b + 2]);
  return Number.isFinite(d) && d > 1e-6 ? d : null;
}

interface TeleportVerdict {
  err: number;
  g: number;
  /** the body is back where its motion predicts at the next detection: a one-frame jump */
  glitch: boolean;
}

/**
 * Is detection k's body centre further than `teleport` box heights per elapsed frame from where the two
 * previous detections' motion puts it (their velocity, unless that step was itself a jump)? And is the
 * next detection back on that motion (a one-frame jump)?
 */
function teleportVerdict(dets: Det[], centres: [number, number][], k: number, o: Required<CoherenceOptions>): TeleportVerdict | null {
  const { frame, p } = dets[k];
  const h = p.bbox[3];
  const prev = k > 0 && frame - dets[k - 1].frame <= o.maxGap + 1 ? k - 1 : -1;
  if (prev < 0 || !(h > 0)) return null;
  const prev2 = prev > 0 && dets[prev].frame - dets[prev - 1].frame <= o.maxGap + 1 ? prev - 1 : -1;
  const g2 = prev2 >= 0 ? dets[prev].frame - dets[prev2].frame : 1;
  const cp = centres[prev], cq = prev2 >= 0 ? centres[prev2] : cp;
  const stepWasJump = Math.hypot(cp[0] - cq[0], cp[1] - cq[1]) / h > o.teleport * g2;
  const vx = stepWasJump ? 0 : (cp[0] - cq[0]) / g2, vy = stepWasJump ? 0 : (cp[1] - cq[1]) / g2;
  const miss = (m: number) => {
    const d = dets[m].frame - dets[prev].frame;
    return Math.hypot(centres[m][0] - (cp[0] + vx * d), centres[m][1] - (cp[1] + vy * d)) / h;
  };
  const g = frame - dets[prev].frame;
  const err = miss(k);
  if (!(err > o.teleport * g)) return null;
  const next = k + 1 < dets.length && dets[k + 1].frame - frame <= o.maxGap + 1 ? k + 1 : -1;
  return { err, g, glitch: next >= 0 && miss(next) <= o.teleport * (dets[next].frame - dets[prev].frame) };
}

interface SwapVerdict {
  eId: number;
  eSw: number;
  /** the swap lasts one frame (the next detection fits the labelled motion again) */
  glitch: boolean;
}

/**
 * Per limb: does detection k fit the constant-velocity prediction from the two previous detections
 * better with its left and right swapped (onset)? And does it also fit the point between the previous and
 * the next detection better swapped (a one-frame swap)?
 */
function swapVerdicts(dets: Det[], k: number, limbs: { pairs: readonly (readonly [number, number])[] }[], o: Required<CoherenceOptions>): (SwapVerdict | null)[] {
  const { frame, p } = dets[k];
  const h = p.bbox[3];
  const prev = k > 0 && frame - dets[k - 1].frame <= o.maxGap + 1 ? k - 1 : -1;
  if (prev < 0 || !(h > 0)) return limbs.map(() => null);
  const prev2 = prev > 0 && dets[prev].frame - dets[prev - 1].frame <= o.maxGap + 1 ? prev - 1 : -1;
  const g = frame - dets[prev].frame;
  const g2 = prev2 >= 0 ? dets[prev].frame - dets[prev2].frame : 0;
  const a = dets[prev].p.keypoints_2d, b = prev2 >= 0 ? dets[prev2].p.keypoints_2d : null;
  const nextOk = k + 1 < dets.length && dets[k + 1].frame - frame <= o.maxGap + 1;
  const c = nextOk ? dets[k + 1].p.keypoints_2d : null;
  const gn = nextOk ? dets[k + 1].frame - frame : 0;
  return limbs.map((limb) => {
    const onset = swapTest(p.keypoints_2d, limb.pairs, a, b, b ? g / g2 : 0, h, o);
    if (!onset) return null;
    return { ...onset, glitch: !!c && !!swapTest(p.keypoints_2d, limb.pairs, a, c, -g / (g + gn), h, o) };
  });
}

/** Mean per-joint error of a limb's joints against a prediction, labelled and with left/right swapped; null when not a swap. */
function swapTest(
  kp: Float32Array,
  pairs: readonly (readonly [number, number])[],
  A: Float32Array,
  B: Float32Array | null,
  t: number,
  h: number,
  o: Required<CoherenceOptions>,
): { eId: number; eSw: number } | null {
  // prediction of joint j: A_j + (A_j - B_j) * t (constant velocity from B to A, or a point between A and B)
  let eId = 0, eSw = 0, n = 0;
  for (const [l, r] of pairs) {
    const lx = A[2 * l] + (B ? (A[2 * l] - B[2 * l]) * t : 0), ly = A[2 * l + 1] + (B ? (A[2 * l + 1] - B[2 * l + 1]) * t : 0);
    const rx = A[2 * r] + (B ? (A[2 * r] - B[2 * r]) * t : 0), ry = A[2 * r + 1] + (B ? (A[2 * r + 1] - B[2 * r + 1]) * t : 0);
    const Lx = kp[2 * l], Ly = kp[2 * l + 1], Rx = kp[2 * r], Ry = kp[2 * r + 1];
    const di = Math.sqrt((Lx - lx) ** 2 + (Ly - ly) ** 2) + Math.sqrt((Rx - rx) ** 2 + (Ry - ry) ** 2);
    const ds = Math.sqrt((Lx - rx) ** 2 + (Ly - ry) ** 2) + Math.sqrt((Rx - lx) ** 2 + (Ry - ly) ** 2);
    if (!Number.isFinite(di) || !Number.isFinite(ds)) continue;
    eId += di;
    eSw += ds;
    n += 2;
  }
  if (!n) return null;
  eId /= n * h;
  eSw /= n * h;
  return eId > o.swapMinJump && eSw < o.swapRatio * eId ? { eId, eSw } : null;
}

/** Median of the first n values (insertion-sorted in place: n is a dozen or so). */
function median(xs: Float64Array, n: number): number {
  for (let i = 1; i < n; i++) {
    const v = xs[i];
    let j = i - 1;
    while (j >= 0 && xs[j] > v) {
      xs[j + 1] = xs[j];
      j--;
    }
    xs[j + 1] = v;
  }
  const m = n >> 1;
  return n % 2 ? xs[m] : (xs[m - 1] + xs[m]) / 2;
}

const pct = (x: number) => `${(100 * x).toFixed(0)} %`;
const r2 = (x: number) => x.toFixed(2);

export function findCoherenceBreaks(seq: PoseSequence, opts: CoherenceOptions = {}): CoherenceBreak[] {
  const o = withDefaults(opts);
  const J = resolveJoints(seq.joint_set);
  const idx = (side: 'left' | 'right', j: string) => J[`${side}_${j}` as Canonical];
  const limbs = LIMBS.map((l) => ({
    name: l.name,
    pairs: l.joints.map((j) => [idx('left', j), idx('right', j)] as const).filter(([a, b]) => a >= 0 && b >= 0),
  })).filter((l) => l.pairs.length > 0);
  const bones = (['left', 'right'] as const).flatMap((s) =>
    BONES.map(([name, a, b]) => ({ name: `${s} ${name}`, a: idx(s, a), b: idx(s, b) })).filter((b) => b.a >= 0 && b.b >= 0),
  );
  const lh = J.left_hip, rh = J.right_hip;
  const out: CoherenceBreak[] = [];
  const around = new Float64Array(4 * o.boneWindow + 2);

  for (const [track_id, dets] of detectionsByTrack(seq)) {
    const centres = dets.map((d) => centre(d.p, lh, rh));
    const lengths = dets.map((d) => bones.map((b) => boneLength(d.p.keypoints_3d, b.a, b.b)));
    const swaps = dets.map((_, k) => swapVerdicts(dets, k, limbs, o));
    const teleports = dets.map((_, k) => teleportVerdict(dets, centres, k, o));
    for (let k = 0; k < dets.length; k++) {
      const { frame } = dets[k];
      const prev = k > 0 && frame - dets[k - 1].frame <= o.maxGap + 1 ? k - 1 : -1;
      if (prev >= 0) {
        const t = teleports[k];
        if (t && !teleports[prev]?.glitch) {
          out.push({
            track_id, frame, reason: 'teleport', lasting: !t.glitch,
            detail: `body centre ${r2(t.err)} box heights away from where its motion predicts (limit ${r2(o.teleport * t.g)} over ${t.g} frame${t.g > 1 ? 's' : ''})${t.glitch ? ', back at the next detection' : ''}`,
          });
        }
        // a limb swap; the frame after a one-frame swap (which swaps back) is not another one
        for (let li = 0; li < limbs.length; li++) {
          const v = swaps[k][li];
          if (!v || swaps[prev][li]?.glitch) continue;
          out.push({
            track_id, frame, reason: 'limb_swap', lasting: !v.glitch,
            detail: `left/right ${limbs[li].name} swapped${v.glitch ? ' for one frame' : ' from here on'}: labelled joints ${r2(v.eId)} box heights off their motion, swapped ${r2(v.eSw)}`,
          });
        }
      }
      // bone lengths vs the same bones nearby
      for (let bi = 0; bi < bones.length; bi++) {
        const L = lengths[k][bi];
        if (L === null) continue;
        let na = 0;
        for (let m = k - 1; m >= 0 && frame - dets[m].frame <= o.boneWindow; m--) if (lengths[m][bi] !== null) around[na++] = lengths[m][bi]!;
        for (let m = k + 1; m < dets.length && dets[m].frame - frame <= o.boneWindow; m++) if (lengths[m][bi] !== null) around[na++] = lengths[m][bi]!;
        if (na < 4) continue;
        const ref = median(around, na);
        const change = L / ref - 1;
        if (Math.abs(change) > o.boneChange) {
          out.push({ track_id, frame, reason: 'bone_length', lasting: false, detail: `${bones[bi].name} ${(L * 100).toFixed(1)} cm vs ${(ref * 100).toFixed(1)} cm around it (${change > 0 ? '+' : ''}${pct(change)})` });
        }
      }
    }
  }
  return out.sort((x, y) => x.frame - y.frame || x.track_id - y.track_id);
}
