/**
 * Small 3D helpers for the exporters (row-major 3x3 matrices as 9 numbers, quaternions as [x, y, z, w]).
 */
export type Vec3 = [number, number, number];
export type Mat3 = number[]; // 9, row-major
export type Quat = [number, number, number, number]; // x, y, z, w

export const IDENTITY: Mat3 = [1, 0, 0, 0, 1, 0, 0, 0, 1];

export function mul(a: Mat3, b: Mat3): Mat3 {
  const o = new Array<number>(9);
  for (let r = 0; r < 3; r++)
    for (let c = 0; c < 3; c++) o[r * 3 + c] = a[r * 3] * b[c] + a[r * 3 + 1] * b[3 + c] + a[r * 3 + 2] * b[6 + c];
  return o;
}

export function transpose(a: Mat3): Mat3 {
  return [a[0], a[3], a[6], a[1], a[4], a[7], a[2], a[5], a[8]];
}

export function apply(a: Mat3, v: Vec3): Vec3 {
  return [a[0] * v[0] + a[1] * v[1] + a[2] * v[2], a[3] * v[0] + a[4] * v[1] + a[5] * v[2], a[6] * v[0] + a[7] * v[1] + a[8] * v[2]];
}

export const sub = (a: Vec3, b: Vec3): Vec3 => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
export const norm = (a: Vec3): number => Math.hypot(a[0], a[1], a[2]);
export const dot = (a: Vec3, b: Vec3): number => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
export const cross = (a: Vec3, b: Vec3): Vec3 => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];

/** Rotation matrix of angle (rad) about a unit axis. */
export function axisAngle(axis: Vec3, angle: number): Mat3 {
  const [x, y, z] = axis;
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  const C = 1 - c;
  return [c + x * x * C, x * y * C - z * s, x * z * C + y * s, y * x * C + z * s, c + y * y * C, y * z * C - x * s, z * x * C - y * s, z * y * C + x * s, c + z * z * C];
}

/** The smallest rotation taking direction a onto direction b (both non-zero). */
export function swing(a: Vec3, b: Vec3): Mat3 {
  const la = norm(a);
  const lb = norm(b);
  if (la < 1e-12 || lb < 1e-12) return [...IDENTITY];
  const ua: Vec3 = [a[0] / la, a[1] / la, a[2] / la];
  const ub: Vec3 = [b[0] / lb, b[1] / lb, b[2] / lb];
  const ax = cross(ua, ub);
  const s = norm(ax);
  const c = Math.max(-1, Math.min(1, dot(ua, ub)));
  if (s < 1e-12) {
    if (c > 0) return [...IDENTITY];
    // opposite: half turn about any axis perpendicular to a
    const p: Vec3 = Math.abs(ua[0]) < 0.9 ? cross(ua, [1, 0, 0]) : cross(ua, [0, 1, 0]);
    const lp = norm(p);
    return axisAngle([p[0] / lp, p[1] / lp, p[2] / lp], Math.PI);
  }
  return axisAngle([ax[0] / s, ax[1] / s, ax[2] / s], Math.atan2(s, c));
}

export function quatToMat(q: Quat): Mat3 {
  const [x, y, z, w] = q;
  return [
    1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w),
    2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w),
    2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y),
  ];
}

/** Unit quaternion of a rotation matrix (Shepperd's method). */
export function matToQuat(m: ArrayLike<number>): Quat {
  const [m00, m01, m02, m10, m11, m12, m20, m21, m22] = [m[0], m[1], m[2], m[3], m[4], m[5], m[6], m[7], m[8]];
  const tr = m00 + m11 + m22;
  let q: Quat;
  if (tr > 0) {
    const s = Math.sqrt(tr + 1) * 2;
    q = [(m21 - m12) / s, (m02 - m20) / s, (m10 - m01) / s, 0.25 * s];
  } else if (m00 > m11 && m00 > m22) {
    const s = Math.sqrt(1 + m00 - m11 - m22) * 2;
    q = [0.25 * s, (m01 + m10) / s, (m02 + m20) / s, (m21 - m12) / s];
  } else if (m11 > m22) {
    const s = Math.sqrt(1 + m11 - m00 - m22) * 2;
    q = [(m01 + m10) / s, 0.25 * s, (m12 + m21) / s, (m02 - m20) / s];
  } else {
    const s = Math.sqrt(1 + m22 - m00 - m11) * 2;
    q = [(m02 + m20) / s, (m12 + m21) / s, 0.25 * s, (m10 - m01) / s];
  }
  const l = Math.hypot(q[0], q[1], q[2], q[3]);
  return [q[0] / l, q[1] / l, q[2] / l, q[3] / l];
}

/** Projects a nearly-orthonormal matrix (float32 SMPL rotations) onto the nearest rotation, via its quaternion. */
export function orthonormal(m: ArrayLike<number>): Mat3 {
  return quatToMat(matToQuat(m));
}

/**
 * The rotation R minimising sum w_i |R a_i - b_i|^2 (Wahba's problem), by Horn's quaternion method: the
 * eigenvector of the largest eigenvalue of a symmetric 4x4 matrix (Jacobi iterations).
 */
export function fitRotation(a: Vec3[], b: Vec3[], w: number[]): Mat3 {
  let Sxx = 0, Sxy = 0, Sxz = 0, Syx = 0, Syy = 0, Syz = 0, Szx = 0, Szy = 0, Szz = 0;
  for (let i = 0; i < a.length; i++) {
    const [ax, ay, az] = a[i];
    const [bx, by, bz] = b[i];
    const k = w[i];
    Sxx += k * ax * bx; Sxy += k * ax * by; Sxz += k * ax * bz;
    Syx += k * ay * bx; Syy += k * ay * by; Syz += k * ay * bz;
    Szx += k * az * bx; Szy += k * az * by; Szz += k * az * bz;
  }
  // N in the order (w, x, y, z), row-major 4x4
  const N = JACOBI_A;
  N.set([
    Sxx + Syy + Szz, Syz - Szy, Szx - Sxz, Sxy - Syx,
    Syz - Szy, Sxx - Syy - Szz, Sxy + Syx, Szx + Sxz,
    Szx - Sxz, Sxy + Syx, -Sxx + Syy - Szz, Syz + Szy,
    Sxy - Syx, Szx + Sxz, Syz + Szy, -Sxx - Syy + Szz,
  ]);
  const V = jacobiEigen4(N);
  let best = 0;
  for (let i = 1; i < 4; i++) if (N[i * 5] > N[best * 5]) best = i;
  return quatToMat([V[4 + best], V[8 + best], V[12 + best], V[best]]);
}

const JACOBI_A = new Float64Array(16);
const JACOBI_V = new Float64Array(16);

/**
 * Eigen decomposition of a symmetric 4x4 matrix in place (cyclic Jacobi, no allocation): afterwards the
 * diagonal of `a` holds the eigenvalues and the returned matrix's columns the eigenvectors (shared buffer).
 */
function jacobiEigen4(a: Float64Array): Float64Array {
  const n = 4;
  const v = JACOBI_V;
  v.fill(0);
  v[0] = v[5] = v[10] = v[15] = 1;
  for (let sweep = 0; sweep < 50; sweep++) {
    let off = 0;
    let diag = 0;
    for (let p = 0; p < n; p++) {
      diag += a[p * 5] * a[p * 5];
      for (let q = p + 1; q < n; q++) off += a[p * n + q] * a[p * n + q];
    }
    if (off <= 1e-30 * Math.max(diag, 1e-300)) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q];
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p];
          const akq = a[k * n + q];
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k];
          const aqk = a[q * n + k];
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p];
          const vkq = v[k * n + q];
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  return v;
}

/** BVH 'Zrotation Xrotation Yrotation' angles (degrees) of R = Rz(z) Rx(x) Ry(y), continued from `prev` (no 360 jumps). */
export function eulerZXY(m: Mat3, prev?: Vec3): Vec3 {
  const sx = Math.max(-1, Math.min(1, m[7]));
  const x = Math.asin(sx);
  let z: number;
  let y: number;
  if (Math.abs(sx) < 0.999999) {
    z = Math.atan2(-m[1], m[4]);
    y = Math.atan2(-m[6], m[8]);
  } else {
    // gimbal lock: only z + y (or z - y) is defined; keep y
    y = prev ? (prev[2] * Math.PI) / 180 : 0;
    z = Math.atan2(m[3], m[0]) - (sx > 0 ? y : -y);
  }
  const deg: Vec3 = [(x * 180) / Math.PI, (z * 180) / Math.PI, (y * 180) / Math.PI]; // [x, z, y]
  const out: Vec3 = [deg[1], deg[0], deg[2]]; // [z, x, y]
  if (prev) for (let i = 0; i < 3; i++) out[i] += 360 * Math.round((prev[i] - out[i]) / 360);
  return out;
}
