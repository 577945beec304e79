/**
 * Jitter: how much a track's joints shake from frame to frame.
 *
 * Definition (per track): over every frame f where the track is `detected` at f-1, f and f+1 (three
 * consecutive real observations; held copies would read as perfectly still), and every skeleton joint j
 * (the joints the set's bones connect), the joint's acceleration as a second difference
 *   a = | p(f+1) - 2 p(f) + p(f-1) |  (Euclidean norm)
 * - jitter_pct: on keypoints_2d, divided by the person's box height at f, x 100: % of box height per
 *   frame^2 (independent of resolution and distance to the camera);
 * - jitter_3d_mm: on keypoints_3d as stored (the body's own 3D frame, without the camera translation,
 *   whose depth wanders by decimetres for PHALP), x 1000: mm per frame^2.
 * The figure is the MEDIAN over all those (f, j) samples: real fast movements (a foot strike) are rare
 * samples and barely move a median, while noise touches every sample. null when a track has no three
 * consecutive detections.
 */
import { jointSet } from './joints';
import type { PersonPose, PoseSequence } from './types';
import { trackIds } from './coverage';

export interface TrackJitter {
  track_id: number;
  jitter_pct: number | null;
  jitter_3d_mm: number | null;
}

/** The joints a set's bones connect (PHALP: the 25 BODY_25 joints; BlazePose: all 33). */
export function skeletonJoints(jointSetName: string): number[] {
  const set = jointSet(jointSetName);
  return [...new Set(set.bones.flat())].sort((a, b) => a - b);
}

/** Median of the first n values of xs (reordered in place: quickselect), or null when n = 0. */
export function medianInPlace(xs: Float64Array, n: number): number | null {
  if (!n) return null;
  const select = (k: number): number => {
    let lo = 0, hi = n - 1;
    while (lo < hi) {
      const pivot = xs[(lo + hi) >> 1];
      let i = lo, j = hi;
      while (i <= j) {
        while (xs[i] < pivot) i++;
        while (xs[j] > pivot) j--;
        if (i <= j) {
          const t = xs[i]; xs[i] = xs[j]; xs[j] = t;
          i++; j--;
        }
      }
      if (k <= j) hi = j;
      else if (k >= i) lo = i;
      else return xs[k];
    }
    return xs[k];
  };
  const m = n >> 1;
  if (n % 2) return select(m);
  const upper = select(m);
  let lower = -Infinity;
  for (let i = 0; i < m; i++) if (xs[i] > lower) lower = xs[i]; // after selecting m, xs[0..m-1] <= xs[m]
  return (lower + upper) / 2;
}

/** Per track: the person at every frame, or undefined (one pass over the sequence). */
export function personsByTrack(seq: PoseSequence): Map<number, (PersonPose | undefined)[]> {
  const out = new Map<number, (PersonPose | undefined)[]>();
  for (const id of trackIds(seq)) out.set(id, new Array(seq.frames.length));
  seq.frames.forEach((f, i) => {
    for (const p of f.persons) out.get(p.track_id)![i] = p;
  });
  return out;
}

export function trackJitter(seq: PoseSequence): TrackJitter[] {
  const joints = skeletonJoints(seq.joint_set);
  const out: TrackJitter[] = [];
  for (const [track_id, ps] of personsByTrack(seq)) {
    const a2 = new Float64Array(ps.length * joints.length), a3 = new Float64Array(ps.length * joints.length);
    let n2 = 0, n3 = 0;
    for (let f = 1; f + 1 < ps.length; f++) {
      const p0 = ps[f - 1], p1 = ps[f], p2 = ps[f + 1];
      if (p0?.state !== 'detected' || p1?.state !== 'detected' || p2?.state !== 'detected') continue;
      const h = p1.bbox[3];
      const k0 = p0.keypoints_3d, k1 = p1.keypoints_3d, k2 = p2.keypoints_3d;
      const q0 = p0.keypoints_2d, q1 = p1.keypoints_2d, q2 = p2.keypoints_2d;
      for (const j of joints) {
        if (h > 0) {
          const ax = q2[2 * j] - 2 * q1[2 * j] + q0[2 * j];
          const ay = q2[2 * j + 1] - 2 * q1[2 * j + 1] + q0[2 * j + 1];
          const a = (100 * Math.sqrt(ax * ax + ay * ay)) / h;
          if (Number.isFinite(a)) a2[n2++] = a;
        }
        const bx = k2[3 * j] - 2 * k1[3 * j] + k0[3 * j], by = k2[3 * j + 1] - 2 * k1[3 * j + 1] + k0[3 * j + 1], bz = k2[3 * j + 2] - 2 * k1[3 * j + 2] + k0[3 * j + 2];
        const a = 1000 * Math.sqrt(bx * bx + by * by + bz * bz);
        if (Number.isFinite(a)) a3[n3++] = a;
      }
    }
    out.push({ track_id, jitter_pct: medianInPlace(a2, n2), jitter_3d_mm: medianInPlace(a3, n3) });
  }
  return out;
}

/**
 * Per track: mean distance between the smoothed and the raw 2D skeleton joints over the raw DETECTED
 * person-frames, in % of the raw box height (how far smoothing moves the joints from what was seen).
 */
export function trackDeviation(raw: PoseSequence, smoothed: PoseSequence): { track_id: number; deviation_pct: number | null }[] {
  if (raw.frames.length !== smoothed.frames.length) throw new Error('trackDeviation: the sequences have different frame counts');
  const joints = skeletonJoints(raw.joint_set);
  const sums = new Map<number, { s: number; n: number }>();
  raw.frames.forEach((f, i) => {
    const other = smoothed.frames[i].persons;
    for (const p of f.persons) {
      let acc = sums.get(p.track_id);
      if (!acc) sums.set(p.track_id, (acc = { s: 0, n: 0 }));
      if (p.state !== 'detected' || !(p.bbox[3] > 0)) continue;
      const q = other.find((o) => o.track_id === p.track_id);
      if (!q) continue;
      for (const j of joints) {
        const d = Math.hypot(q.keypoints_2d[2 * j] - p.keypoints_2d[2 * j], q.keypoints_2d[2 * j + 1] - p.keypoints_2d[2 * j + 1]);
        if (!Number.isFinite(d)) continue;
        acc.s += (100 * d) / p.bbox[3];
        acc.n++;
      }
    }
  });
  return [...sums].sort((a, b) => a[0] - b[0]).map(([track_id, { s, n }]) => ({ track_id, deviation_pct: n ? s / n : null }));
}
