/**
 * Optional gap filling: replaces held/missing spans BETWEEN two real detections of the same track by
 * an interpolation of those two detections, marked state 'interpolated' (never 'detected'),
 * confidence null, tracking_confidence from ./confidence.ts. Spans before the first or after the last
 * detection are left alone (nothing to interpolate towards). Generic for any PoseSequence.
 *
 * Rotations (SMPL global_orient and body_pose, row-major 3x3) are interpolated as quaternions with
 * slerp, so they stay rotations; translations, joints, betas, bbox and scores linearly.
 * The input is not modified: frames with a change get new person lists.
 */
import { matrixToQuaternion, quaternionToMatrix } from './compact';
import { interpolatedTrackingConfidence } from './confidence';
import type { PersonPose, PoseSequence, SmplParams } from './types';

export interface FillGapsOptions {
  /** Longest gap (frames between the two detections) to fill. Default 10. */
  maxGap?: number;
}

export function fillGaps(seq: PoseSequence, opts: FillGapsOptions = {}): PoseSequence {
  const maxGap = opts.maxGap ?? 10;
  const frames = seq.frames.map((f) => ({ ...f, persons: f.persons }));
  const ids = new Set<number>();
  for (const f of seq.frames) for (const p of f.persons) ids.add(p.track_id);
  for (const id of ids) {
    let prev: { frame: number; person: PersonPose } | null = null;
    for (let i = 0; i < seq.frames.length; i++) {
      const p = seq.frames[i].persons.find((q) => q.track_id === id && q.state === 'detected');
      if (!p) continue;
      if (prev && i - prev.frame > 1 && i - prev.frame - 1 <= maxGap) {
        for (let f = prev.frame + 1; f < i; f++) {
          const t = (f - prev.frame) / (i - prev.frame);
          const filled = interpolatePerson(prev.person, p, t, f - prev.frame, Math.min(f - prev.frame, i - f));
          const others = frames[f].persons.filter((q) => q.track_id !== id);
          frames[f].persons = [...others, filled].sort((a, b) => a.track_id - b.track_id);
        }
      }
      prev = { frame: i, person: p };
    }
  }
  return { ...seq, frames };
}

function lerp(a: ArrayLike<number>, b: ArrayLike<number>, t: number): Float32Array {
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i] + (b[i] - a[i]) * t;
  return out;
}

/** slerp between rotation matrices a[k], b[k] (row-major 3x3 each). */
export function slerpRotations(a: ArrayLike<number>, b: ArrayLike<number>, t: number): Float32Array {
  const out = new Float32Array(a.length);
  const qa = new Float32Array(4), qb = new Float32Array(4), q = new Float32Array(4);
  for (let o = 0; o + 9 <= a.length; o += 9) {
    matrixToQuaternion(a, o, qa, 0);
    matrixToQuaternion(b, o, qb, 0);
    slerp(qa, qb, t, q);
    quaternionToMatrix(q, 0, out, o);
  }
  return out;
}

function slerp(a: Float32Array, b: Float32Array, t: number, out: Float32Array): void {
  let dot = a[0] * b[0] + a[1] * b[1] + a[2] * b[2] + a[3] * b[3];
  let sign = 1;
  if (dot < 0) {
    // q and -q are the same rotation: take the short way round.
    dot = -dot;
    sign = -1;
  }
  let wa: number, wb: number;
  if (dot > 0.9995) {
    wa = 1 - t;
    wb = t;
  } else {
    const theta = Math.acos(dot);
    const s = Math.sin(theta);
    wa = Math.sin((1 - t) * theta) / s;
    wb = Math.sin(t * theta) / s;
  }
  wb *= sign;
  let len = 0;
  for (let i = 0; i < 4; i++) {
    out[i] = wa * a[i] + wb * b[i];
    len += out[i] * out[i];
  }
  len = Math.sqrt(len) || 1;
  for (let i = 0; i < 4; i++) out[i] /= len;
}

function interpolateSmpl(a: SmplParams | null, b: SmplParams | null, t: number): SmplParams | null {
  if (!a || !b) return null;
  return {
    global_orient: slerpRotations(a.global_orient, b.global_orient, t),
    body_pose: slerpRotations(a.body_pose, b.body_pose, t),
    betas: lerp(a.betas, b.betas, t),
  };
}

function interpolatePerson(a: PersonPose, b: PersonPose, t: number, sinceSeen: number, distance: number): PersonPose {
  const box = lerp(a.bbox, b.bbox, t);
  return {
    track_id: a.track_id,
    state: 'interpolated',
    confidence: null,
    tracking_confidence: interpolatedTrackingConfidence(a.confidence ?? 0, b.confidence ?? 0, t, distance),
    frames_since_seen: sinceSeen,
    smpl: interpolateSmpl(a.smpl, b.smpl, t),
    camera:
      a.camera && b.camera
        ? {
            tx: a.camera.tx + (b.camera.tx - a.camera.tx) * t,
            ty: a.camera.ty + (b.camera.ty - a.camera.ty) * t,
            tz: a.camera.tz + (b.camera.tz - a.camera.tz) * t,
          }
        : null,
    keypoints_3d: lerp(a.keypoints_3d, b.keypoints_3d, t),
    keypoints_2d: lerp(a.keypoints_2d, b.keypoints_2d, t),
    keypoint_scores: a.keypoint_scores && b.keypoint_scores ? lerp(a.keypoint_scores, b.keypoint_scores, t) : null,
    bbox: [box[0], box[1], box[2], box[3]],
  };
}
