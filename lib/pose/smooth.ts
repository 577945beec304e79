/**
 * Zero-lag smoothing of a whole PoseSequence, per track: a two-sided, tricube-weighted local quadratic
 * fit (LOESS without robustness iterations; with equal weights it is a Savitzky-Golay filter).
 *
 * Why this method:
 * - two-sided and symmetric around each frame, so it has zero phase: a step stays where it is in time
 *   (a causal filter such as One-Euro always lags); results are complete before anyone watches them;
 * - a local polynomial (degree 2) follows peaks of a movement (a knee's maximum flexion) instead of
 *   flattening them the way a moving average does, and the tricube taper suppresses high-frequency
 *   noise much better than Savitzky-Golay's flat window (whose side lobes let frame-to-frame jitter,
 *   exactly what the second difference measures, through);
 * - per-sample weights come for free: frames that are not anchors get weight 0 and the same fit fills
 *   them from their neighbours, and segment ends simply get a one-sided fit (no padding, no invented
 *   samples);
 * - it is linear in the samples, so all coordinates of a person share one set of coefficients per frame
 *   (cheap: ~(2H+1) multiply-adds per coordinate).
 *
 * What is smoothed, per track: keypoints_2d, keypoints_3d, bbox, camera translation, SMPL betas and
 * SMPL rotations. Rotations are smoothed on the rotation manifold: each matrix -> unit quaternion, signs
 * chosen along the track so neighbouring quaternions lie in the same hemisphere (q and -q are the same
 * rotation), the four components fitted like any coordinate, renormalised, back to a matrix. For the
 * small angular spread inside a window this is the standard normalised-quaternion average, and the
 * result is always a proper rotation.
 *
 * Anchors and segments:
 * - only `detected` person-frames are anchors. A track's detections form a segment while consecutive
 *   detections are at most `maxGap` + 1 frames apart; nothing is fitted across a longer gap, and frames
 *   without a detection are never created (the output has exactly the input's frames and persons).
 * - coherence breaks (./coherence.ts) are excluded as anchors (weight 0): their values are REPLACED by
 *   the fit of their neighbours (a one-frame limb swap disappears). A `lasting` break (a teleport, a swap
 *   that does not swap back) also starts a new segment: the track now follows another body or another
 *   left/right labelling, and a fit across it would blend the two. A frame that is not an anchor is
 *   interpolated by the fit when anchors surround it, gets the weighted mean of its anchors when they lie
 *   on one side only (no polynomial extrapolation), and keeps its raw values when its window has none.
 * - `held` frames (PHALP ghosts: stale copies of the last detection) are not anchors, so they never drag
 *   the fit towards a stale pose; they are shown as a copy of the SMOOTHED detection they copy (the one
 *   `frames_since_seen` frames earlier).
 * - `interpolated` frames are re-interpolated (linear, slerp for rotations) between the smoothed values
 *   of the detections around them.
 * Time is the frame index (frames are treated as evenly spaced).
 * The input is never modified: every output person has new arrays (views into one buffer per smoothed
 * segment, as the compact payload's decoder hands out; do not transfer their .buffer).
 */
import { coherenceReach, detectionsByTrack, findCoherenceBreaks, type CoherenceBreak, type CoherenceOptions } from './coherence';
import { matrixToQuaternion, quaternionToMatrix } from './compact';
import { slerpRotations } from './interpolate';
import type { CameraTranslation, PersonPose, PoseFrame, PoseSequence } from './types';

export interface SmoothOptions {
  /** half-width of the local fit in seconds (frames = round(fps x this), at least 1); default 0.2 */
  halfWindowSeconds?: number;
  /** degree of the local polynomial; default 2 */
  degree?: number;
  /** longest run of frames without a detection bridged inside one segment; default 3 */
  maxGap?: number;
  /** coherence breaks to exclude; default findCoherenceBreaks(seq, coherence) */
  breaks?: readonly CoherenceBreak[];
  coherence?: CoherenceOptions;
}

export const SMOOTH_DEFAULTS = { halfWindowSeconds: 0.2, degree: 2, maxGap: 3 };
/** how far back a held frame's source detection may lie and still be found in a cut window (PHALP holds up to 50) */
export const HELD_REACH = 64;

export function halfWindowFrames(fps: number, opts: SmoothOptions = {}): number {
  const s = opts.halfWindowSeconds ?? SMOOTH_DEFAULTS.halfWindowSeconds;
  return Math.max(1, Math.round((fps > 0 ? fps : 30) * s));
}

/**
 * Frames of context needed on each side of a range so that smoothing the widened range and cutting
 * gives the same values as smoothing the whole clip (held sources up to HELD_REACH frames back).
 */
export function smoothingContext(fps: number, opts: SmoothOptions = {}): number {
  const maxGap = opts.maxGap ?? SMOOTH_DEFAULTS.maxGap;
  return halfWindowFrames(fps, opts) + coherenceReach({ maxGap, ...opts.coherence }) + HELD_REACH;
}

// ---------------------------------------------------------------------------------------------------
// Local polynomial coefficients

/**
 * Weights c_m such that sum_m c_m y_m is the value at x = 0 of the weighted least-squares polynomial of
 * degree <= `degree` through (x_m, y_m) with weights w_m; the degree drops when there are too few
 * points. null when no weight is positive.
 */
export function localPolynomialCoefficients(x: ArrayLike<number>, w: ArrayLike<number>, degree: number): Float64Array | null {
  const n = x.length;
  let distinct = 0;
  let lastX = NaN;
  for (let m = 0; m < n; m++) if (w[m] > 0 && x[m] !== lastX) { distinct++; lastX = x[m]; }
  if (!distinct) return null;
  for (let d = Math.min(degree, distinct - 1); d >= 0; d--) {
    const size = d + 1;
    // normal matrix A = X^T W X, solve A z = e0; the value at 0 is sum_m w_m y_m (sum_i z_i x_m^i)
    const A = new Float64Array(size * size);
    const moments = new Float64Array(2 * size - 1); // sum_m w_m x_m^k
    for (let m = 0; m < n; m++) {
      if (!(w[m] > 0)) continue;
      let p = w[m];
      for (let k = 0; k < moments.length; k++) {
        moments[k] += p;
        p *= x[m];
      }
    }
    for (let i = 0; i < size; i++) for (let j = 0; j < size; j++) A[i * size + j] = moments[i + j];
    const z = solveE0(A, size);
    if (!z) continue;
    const c = new Float64Array(n);
    for (let m = 0; m < n; m++) {
      if (!(w[m] > 0)) continue;
      let s = 0, p = 1;
      for (let i = 0; i < size; i++) {
        s += z[i] * p;
        p *= x[m];
      }
      c[m] = w[m] * s;
    }
    return c;
  }
  return null;
}

/** Solves A z = e0 by Gaussian elimination with partial pivoting; null when (near) singular. */
function solveE0(A: Float64Array, n: number): Float64Array | null {
  const M = Float64Array.from(A);
  const b = new Float64Array(n);
  b[0] = 1;
  const scale = Math.max(...Array.from(A, Math.abs)) || 1;
  for (let col = 0; col < n; col++) {
    let piv = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(M[r * n + col]) > Math.abs(M[piv * n + col])) piv = r;
    if (Math.abs(M[piv * n + col]) < 1e-10 * scale) return null;
    if (piv !== col) {
      for (let k = 0; k < n; k++) [M[col * n + k], M[piv * n + k]] = [M[piv * n + k], M[col * n + k]];
      [b[col], b[piv]] = [b[piv], b[col]];
    }
    for (let r = col + 1; r < n; r++) {
      const f = M[r * n + col] / M[col * n + col];
      if (!f) continue;
      for (let k = col; k < n; k++) M[r * n + k] -= f * M[col * n + k];
      b[r] -= f * b[col];
    }
  }
  const z = new Float64Array(n);
  for (let r = n - 1; r >= 0; r--) {
    let s = b[r];
    for (let k = r + 1; k < n; k++) s -= M[r * n + k] * z[k];
    z[r] = s / M[r * n + r];
  }
  return z.every(Number.isFinite) ? z : null;
}

const tricube = (u: number) => {
  const a = Math.abs(u);
  if (a >= 1) return 0;
  const t = 1 - a * a * a;
  return t * t * t;
};

// ---------------------------------------------------------------------------------------------------

interface Det {
  frame: number;
  p: PersonPose;
}

/** Sum of c_m * arr_m over the window, into a new Float32Array (arrays of equal length). */
/** The non-zero terms of a window's coefficients: window positions (absolute indices) and weights. */
interface Terms {
  idx: Int32Array;
  coef: Float64Array;
  n: number;
}

function termsOf(c: Float64Array, from: number, into: Terms): Terms {
  into.n = 0;
  for (let m = 0; m < c.length; m++) {
    if (!c[m]) continue;
    into.idx[into.n] = from + m;
    into.coef[into.n++] = c[m];
  }
  return into;
}

/** Flips each quaternion of `q` into the hemisphere of the same rotation in `ref`. */
function alignHemispheres(q: Float32Array, ref: Float32Array): void {
  for (let o = 0; o < q.length; o += 4) {
    if (q[o] * ref[o] + q[o + 1] * ref[o + 1] + q[o + 2] * ref[o + 2] + q[o + 3] * ref[o + 3] < 0) {
      q[o] = -q[o]; q[o + 1] = -q[o + 1]; q[o + 2] = -q[o + 2]; q[o + 3] = -q[o + 3];
    }
  }
}

function copyPerson(p: PersonPose): PersonPose {
  return {
    ...p,
    keypoints_3d: p.keypoints_3d.slice(),
    keypoints_2d: p.keypoints_2d.slice(),
    keypoint_scores: p.keypoint_scores ? p.keypoint_scores.slice() : null,
    bbox: [...p.bbox] as PersonPose['bbox'],
    camera: p.camera ? { ...p.camera } : null,
    smpl: p.smpl ? { global_orient: p.smpl.global_orient.slice(), body_pose: p.smpl.body_pose.slice(), betas: p.smpl.betas.slice() } : null,
  };
}

/** A person with `from`'s state fields and `values`' pose values (new arrays). */
function withValues(from: PersonPose, values: PersonPose): PersonPose {
  const v = copyPerson(values);
  return { ...v, track_id: from.track_id, state: from.state, confidence: from.confidence, tracking_confidence: from.tracking_confidence, frames_since_seen: from.frames_since_seen, keypoint_scores: from.keypoint_scores ? from.keypoint_scores.slice() : null };
}

/**
 * Every smoothable value of a person in one Float32Array, so one pass over the window combines them all:
 * [keypoints_3d | keypoints_2d | bbox | camera (3) | SMPL quaternions (96) | betas]. Missing camera or SMPL
 * values are zeros; frames without them get weight 0 for those parts (fitted separately, see below).
 */
interface Layout {
  k3: number;
  k2: number;
  box: number;
  cam: number;
  q: number;
  betas: number;
  nBetas: number;
  size: number;
}

function layoutOf(p: PersonPose, nBetas: number): Layout {
  const k3 = 0, k2 = p.keypoints_3d.length, box = k2 + p.keypoints_2d.length, cam = box + 4, q = cam + 3, betas = q + 96;
  return { k3, k2, box, cam, q, betas, nBetas, size: betas + nBetas };
}

/** Writes a person's values into its slot `v` of the layout; true when it carries SMPL quaternions. */
function pack(p: PersonPose, L: Layout, v: Float32Array): boolean {
  v.set(p.keypoints_3d, L.k3);
  v.set(p.keypoints_2d, L.k2);
  v.set(p.bbox, L.box);
  if (p.camera) {
    v[L.cam] = p.camera.tx;
    v[L.cam + 1] = p.camera.ty;
    v[L.cam + 2] = p.camera.tz;
  }
  if (!p.smpl) return false;
  matrixToQuaternion(p.smpl.global_orient, 0, v, L.q);
  for (let r = 0; r < 23; r++) matrixToQuaternion(p.smpl.body_pose, 9 * r, v, L.q + 4 * (r + 1));
  if (L.nBetas) v.set(p.smpl.betas.subarray(0, L.nBetas), L.betas);
  return true;
}

/** sum_t coef_t * packs[idx_t][from..to) into out[from..to) (accumulated in float64 in `acc`). */
function combineInto(out: Float32Array, packs: readonly Float32Array[], t: Terms, from: number, to: number, acc: Float64Array): void {
  if (!t.n) {
    out.fill(0, from, to);
    return;
  }
  let a = packs[t.idx[0]], c = t.coef[0];
  for (let i = from; i < to; i++) acc[i] = c * a[i];
  for (let k = 1; k < t.n; k++) {
    a = packs[t.idx[k]];
    c = t.coef[k];
    for (let i = from; i < to; i++) acc[i] += c * a[i];
  }
  for (let i = from; i < to; i++) out[i] = acc[i];
}

function smoothSegment(dets: Det[], weights: number[], H: number, degree: number, out: Map<number, PersonPose>): void {
  const n = dets.length;
  const L = layoutOf(dets[0].p, dets.find((d) => d.p.smpl)?.p.smpl!.betas.length ?? 0);
  // persons of one track share a joint set; a person that does not fit the layout is copied as it is
  const fits = dets.map((d) => d.p.keypoints_3d.length === L.k2 && d.p.keypoints_2d.length === L.box - L.k2 && (d.p.smpl?.betas.length ?? L.nBetas) === L.nBetas);
  // all inputs of the segment in one buffer, and all outputs in another: persons get views into them
  const packed = new Float32Array(n * L.size);
  const packs = dets.map((_, m) => packed.subarray(m * L.size, (m + 1) * L.size));
  const hasQ = dets.map((d, m) => fits[m] && pack(d.p, L, packs[m]));
  let lastQ = -1;
  for (let m = 0; m < n; m++) {
    if (!hasQ[m]) continue;
    if (lastQ >= 0) alignHemispheres(packs[m].subarray(L.q, L.q + 96), packs[lastQ].subarray(L.q, L.q + 96));
    lastQ = m;
  }
  const OUT = L.size + 9 + 207;
  const acc = new Float64Array(L.size);
  const outputs = new Float32Array(n * OUT);
  const W = 2 * H + 1;
  const kernel = Float64Array.from({ length: W }, (_, i) => tricube((i - H) / (H + 1)));
  const x = new Float64Array(W), wBase = new Float64Array(W), wCam = new Float64Array(W), wSmpl = new Float64Array(W);
  const mk = (): Terms => ({ idx: new Int32Array(W), coef: new Float64Array(W), n: 0 });
  const tBase = mk(), tCam = mk(), tSmpl = mk();
  let interior: Float64Array | null = null;
  let lo = 0;
  for (let k = 0; k < n; k++) {
    const fk = dets[k].frame;
    while (dets[lo].frame < fk - H) lo++;
    let hi = k;
    while (hi + 1 < n && dets[hi + 1].frame <= fk + H) hi++;
    const len = hi - lo + 1;
    let full = len === W; // every frame of the window detected...
    let camSame = true, smplSame = true;
    for (let m = lo, i = 0; m <= hi; m++, i++) {
      const d = dets[m].frame - fk;
      const w = fits[m] ? weights[m] * kernel[d + H] : 0;
      x[i] = d / (H + 1);
      wBase[i] = w;
      wCam[i] = dets[m].p.camera ? w : 0;
      wSmpl[i] = hasQ[m] ? w : 0;
      if (weights[m] !== 1 || !fits[m]) full = false; // ...and an anchor of full weight
      if (wCam[i] !== w) camSame = false;
      if (wSmpl[i] !== w) smplSame = false;
    }
    const xs = x.subarray(0, len), wb = wBase.subarray(0, len);
    const p = dets[k].p;
    // a frame that is not an anchor is filled from its neighbours: interpolated by the same fit when there
    // are anchors on both sides, never extrapolated by a polynomial from one side (a weighted mean of it)
    let deg = degree;
    if (!(weights[k] > 0)) {
      let before = false, after = false;
      for (let i = 0; i < len; i++) if (wb[i] > 0) xs[i] < 0 ? (before = true) : (after = true);
      if (!(before && after)) deg = 0;
    }
    // a full window (the usual case) has the same coefficients everywhere: computed once per segment
    const cBase = !fits[k] ? null : full ? (interior ??= localPolynomialCoefficients(xs, wb, deg)) : localPolynomialCoefficients(xs, wb, deg);
    if (!cBase) {
      out.set(fk, copyPerson(p));
      continue;
    }
    const res = outputs.subarray(k * OUT, k * OUT + L.size);
    const rot = outputs.subarray(k * OUT + L.size, (k + 1) * OUT);
    const base = termsOf(cBase, lo, tBase);
    combineInto(res, packs, base, 0, L.cam, acc);
    let camera: CameraTranslation | null = null;
    if (p.camera) {
      const c = camSame ? cBase : localPolynomialCoefficients(xs, wCam.subarray(0, len), deg);
      if (c) {
        combineInto(res, packs, camSame ? base : termsOf(c, lo, tCam), L.cam, L.cam + 3, acc);
        camera = { tx: res[L.cam], ty: res[L.cam + 1], tz: res[L.cam + 2] };
      } else camera = { ...p.camera };
    }
    let smpl: PersonPose['smpl'] = null;
    if (p.smpl) {
      const c = smplSame ? cBase : localPolynomialCoefficients(xs, wSmpl.subarray(0, len), deg);
      if (c) {
        combineInto(res, packs, smplSame ? base : termsOf(c, lo, tSmpl), L.q, L.size, acc);
        smpl = { global_orient: rot.subarray(0, 9), body_pose: rot.subarray(9), betas: res.subarray(L.betas, L.size) };
        for (let r = 0; r < 24; r++) {
          const o = L.q + 4 * r;
          const l = Math.sqrt(res[o] * res[o] + res[o + 1] * res[o + 1] + res[o + 2] * res[o + 2] + res[o + 3] * res[o + 3]);
          // a degenerate average (cannot happen for nearby rotations) keeps the raw rotation
          if (l > 0.5) for (let i = 0; i < 4; i++) res[o + i] /= l;
          else res.set(packs[k].subarray(o, o + 4), o);
          if (r === 0) quaternionToMatrix(res, o, smpl.global_orient, 0);
          else quaternionToMatrix(res, o, smpl.body_pose, 9 * (r - 1));
        }
      } else smpl = copyPerson(p).smpl;
    }
    out.set(fk, {
      ...p,
      keypoints_3d: res.subarray(L.k3, L.k2),
      keypoints_2d: res.subarray(L.k2, L.box),
      keypoint_scores: p.keypoint_scores ? p.keypoint_scores.slice() : null,
      bbox: [res[L.box], res[L.box + 1], res[L.box + 2], res[L.box + 3]],
      camera,
      smpl,
    });
  }
}

function lerpArr(a: ArrayLike<number>, b: ArrayLike<number>, t: number): Float32Array {
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i] + (b[i] - a[i]) * t;
  return out;
}

function interpolateBetween(raw: PersonPose, a: PersonPose, b: PersonPose, t: number): PersonPose {
  const box = lerpArr(a.bbox, b.bbox, t);
  return {
    ...raw,
    keypoints_3d: lerpArr(a.keypoints_3d, b.keypoints_3d, t),
    keypoints_2d: lerpArr(a.keypoints_2d, b.keypoints_2d, t),
    keypoint_scores: raw.keypoint_scores ? raw.keypoint_scores.slice() : null,
    bbox: [box[0], box[1], box[2], box[3]],
    camera: raw.camera && a.camera && b.camera
      ? { tx: a.camera.tx + (b.camera.tx - a.camera.tx) * t, ty: a.camera.ty + (b.camera.ty - a.camera.ty) * t, tz: a.camera.tz + (b.camera.tz - a.camera.tz) * t }
      : raw.camera ? { ...raw.camera } : null,
    smpl: raw.smpl && a.smpl && b.smpl
      ? { global_orient: slerpRotations(a.smpl.global_orient, b.smpl.global_orient, t), body_pose: slerpRotations(a.smpl.body_pose, b.smpl.body_pose, t), betas: lerpArr(a.smpl.betas, b.smpl.betas, t) }
      : copyPerson(raw).smpl,
  };
}

/** The first value > x of an ascending list, or undefined. */
function firstAfter(sorted: readonly number[], x: number): number | undefined {
  let lo = 0, hi = sorted.length;
  while (lo < hi) {
    const m = (lo + hi) >> 1;
    if (sorted[m] > x) hi = m;
    else lo = m + 1;
  }
  return sorted[lo];
}

/**
 * Zero-lag two-sided smoothing of a whole sequence, per track; returns a NEW sequence of the same shape
 * (same frames, same persons in the same order, same states: nothing invented), raw input untouched.
 */
export function smoothSequence(seq: PoseSequence, opts: SmoothOptions = {}): PoseSequence {
  const H = halfWindowFrames(seq.fps, opts);
  const degree = opts.degree ?? SMOOTH_DEFAULTS.degree;
  const maxGap = opts.maxGap ?? SMOOTH_DEFAULTS.maxGap;
  const breaks = opts.breaks ?? findCoherenceBreaks(seq, { maxGap, ...opts.coherence });
  const excluded = new Set(breaks.map((b) => `${b.track_id}:${b.frame}`));
  const splits = new Set(breaks.filter((b) => b.lasting).map((b) => `${b.track_id}:${b.frame}`));

  // smoothed detections per track: frame -> person
  const smoothed = new Map<number, Map<number, PersonPose>>();
  const detectedFrames = new Map<number, number[]>();
  for (const [id, dets] of detectionsByTrack(seq)) {
    const out = new Map<number, PersonPose>();
    smoothed.set(id, out);
    detectedFrames.set(id, dets.map((d) => d.frame));
    let start = 0;
    for (let k = 1; k <= dets.length; k++) {
      if (k < dets.length && dets[k].frame - dets[k - 1].frame <= maxGap + 1 && !splits.has(`${id}:${dets[k].frame}`)) continue;
      const seg = dets.slice(start, k);
      smoothSegment(seg, seg.map((d) => (excluded.has(`${id}:${d.frame}`) ? 0 : 1)), H, degree, out);
      start = k;
    }
  }

  const frames: PoseFrame[] = seq.frames.map((f) => ({
    frame_number: f.frame_number,
    timestamp: f.timestamp,
    persons: f.persons.map((p) => {
      const mine = smoothed.get(p.track_id);
      if (p.state === 'detected') return mine?.get(f.frame_number) ?? copyPerson(p);
      const source = p.frames_since_seen > 0 ? mine?.get(f.frame_number - p.frames_since_seen) : undefined;
      if (p.state === 'held') return source ? withValues(p, source) : copyPerson(p);
      // interpolated: between the smoothed detections before and after
      const nextFrame = firstAfter(detectedFrames.get(p.track_id) ?? [], f.frame_number);
      const next = nextFrame !== undefined ? mine?.get(nextFrame) : undefined;
      if (!source || !next || nextFrame === undefined) return copyPerson(p);
      const a = f.frame_number - p.frames_since_seen;
      return interpolateBetween(p, source, next, (f.frame_number - a) / (nextFrame - a));
    }),
  }));
  return { ...seq, joint_names: [...seq.joint_names], intrinsics: seq.intrinsics ? { ...seq.intrinsics } : null, frames };
}
