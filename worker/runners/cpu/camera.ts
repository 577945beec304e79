import type { CameraTranslation, Intrinsics } from '../../../lib/pose/types';

/**
 * An ESTIMATE of where a hip-centred 3D skeleton sits in camera space, so several people stand apart in
 * the 3D view. BlazePose gives no depth of its own; we pick the translation t that makes the pinhole
 * projection of (world + t) land on the 2D keypoints, in the least-squares sense, weighted by keypoint
 * score. With u = fx (X + tx) / (Z + tz) + cx the equations are linear in t:
 *   fx tx - (u - cx) tz = (u - cx) Z - fx X      (and the same for v, y, fy, cy)
 * so it is a 3x3 solve. The depth is only as good as the intrinsics we assume (focal length = the
 * larger image side, i.e. a ~53 degree field of view) and the model's idea of the person's size.
 */
export function defaultIntrinsics(width: number, height: number): Intrinsics {
  const f = Math.max(width, height);
  return { fx: f, fy: f, cx: width / 2, cy: height / 2 };
}

export function solveTranslation(
  world: Float32Array,
  image: Float32Array,
  scores: Float32Array,
  K: Intrinsics,
  minScore = 0.3,
): CameraTranslation | null {
  // normal equations A^T W A t = A^T W b
  const m = new Float64Array(9);
  const r = new Float64Array(3);
  const add = (a0: number, a1: number, a2: number, b: number, w: number) => {
    const a = [a0, a1, a2];
    for (let i = 0; i < 3; i++) {
      r[i] += w * a[i] * b;
      for (let j = 0; j < 3; j++) m[3 * i + j] += w * a[i] * a[j];
    }
  };
  let used = 0;
  for (let j = 0; j < scores.length; j++) {
    const w = scores[j];
    if (w < minScore) continue;
    used++;
    const X = world[3 * j], Y = world[3 * j + 1], Z = world[3 * j + 2];
    const du = image[2 * j] - K.cx, dv = image[2 * j + 1] - K.cy;
    add(K.fx, 0, -du, du * Z - K.fx * X, w);
    add(0, K.fy, -dv, dv * Z - K.fy * Y, w);
  }
  if (used < 4) return null;
  const t = solve3(m, r);
  if (!t || !(t[2] > 0.1) || !t.every(Number.isFinite)) return null;
  return { tx: t[0], ty: t[1], tz: t[2] };
}

/** Cramer's rule; null when singular. */
function solve3(m: Float64Array, r: Float64Array): number[] | null {
  const det = (a: ArrayLike<number>) =>
    a[0] * (a[4] * a[8] - a[5] * a[7]) - a[1] * (a[3] * a[8] - a[5] * a[6]) + a[2] * (a[3] * a[7] - a[4] * a[6]);
  const d = det(m);
  if (Math.abs(d) < 1e-9) return null;
  const out: number[] = [];
  for (let c = 0; c < 3; c++) {
    const a = Array.from(m);
    for (let i = 0; i < 3; i++) a[3 * i + c] = r[i];
    out.push(det(a) / d);
  }
  return out;
}
