/**
 * The compact pose payload: a whole PoseSequence in one binary blob, for ONE request per clip
 * (GET /api/clips/:id/poses). Encoded on the server, decoded in the browser: no node: imports.
 *
 * Layout (little-endian), columnar so the decoder hands out subarray views of a few big typed
 * arrays instead of allocating per person:
 *
 *   'PSQ1' | u32 header length | header JSON (utf-8) | zero padding to 8 bytes
 *   f64[F]  frame timestamps
 *   u32[F]  persons per frame
 *   i32[N]  track_id            i32[N] frames_since_seen
 *   f32[N]  confidence (NaN = null)   f32[N] tracking_confidence
 *   f32[4N] bbox   f32[3JN] keypoints_3d   f32[2JN] keypoints_2d
 *   f32[3C] camera (persons with a camera, in order)
 *   f32[96S] SMPL rotations as unit quaternions (24 per person: global_orient + 23 body joints)
 *   f32[10S] betas   f32[JK] keypoint_scores (persons with scores)
 *   u8[N]   state    u8[N] flags (bit 0 smpl, bit 1 camera, bit 2 keypoint_scores)
 *
 * Why quaternions: the 24 SMPL rotation matrices are 864 bytes of a ~1.8 KB person-frame; as
 * quaternions they are 384 bytes, which brings a PHALP person-frame to ~1.37 KB (target 1.5 KB).
 * The matrices are orthonormal (HMR2 builds them from a 6D representation), so the round trip is
 * exact to float32 precision (about 1e-6 per entry), far below anything visible.
 */
import type { PersonPose, PersonState, PoseFrame, PoseSequence, RunnerKind, Intrinsics } from './types';

const MAGIC = 0x31515350; // 'PSQ1' read as little-endian u32
const ROTATIONS = 24;
const BETAS = 10;
const STATES: readonly PersonState[] = ['detected', 'held', 'interpolated'];
const FLAG_SMPL = 1;
const FLAG_CAMERA = 2;
const FLAG_SCORES = 4;

interface Header {
  runner: RunnerKind;
  joint_set: string;
  joint_names: string[];
  width: number;
  height: number;
  fps: number;
  frame_count: number;
  intrinsics: Intrinsics | null;
  /** counts that size the sections */
  F: number;
  N: number;
  J: number;
  C: number;
  S: number;
  K: number;
}

export class CompactPoseError extends Error {
  constructor(message: string) {
    super(`compact pose payload: ${message}`);
    this.name = 'CompactPoseError';
  }
}

const pad = (n: number, to: number) => (n + to - 1) & ~(to - 1);

export function encodePoseSequence(seq: PoseSequence): Uint8Array {
  const J = seq.joint_names.length;
  const F = seq.frames.length;
  let N = 0, C = 0, S = 0, K = 0;
  for (const frame of seq.frames) {
    for (const p of frame.persons) {
      N++;
      if (p.camera) C++;
      if (p.smpl) S++;
      if (p.keypoint_scores) K++;
      if (p.keypoints_3d.length !== J * 3 || p.keypoints_2d.length !== J * 2) {
        throw new CompactPoseError(`frame ${frame.frame_number} track ${p.track_id}: keypoints do not match the ${J} joints of '${seq.joint_set}'`);
      }
    }
  }
  const header: Header = {
    runner: seq.runner, joint_set: seq.joint_set, joint_names: seq.joint_names, width: seq.width, height: seq.height,
    fps: seq.fps, frame_count: seq.frame_count, intrinsics: seq.intrinsics, F, N, J, C, S, K,
  };
  const headerBytes = new TextEncoder().encode(JSON.stringify(header));
  const start = pad(8 + headerBytes.length, 8);
  const floatsPerN = 2 + 4 + 3 * J + 2 * J; // confidence, tracking, bbox, kp3d, kp2d
  const total = start + 8 * F + 4 * F + 8 * N + 4 * (floatsPerN * N + 3 * C + (4 * ROTATIONS + BETAS) * S + J * K) + 2 * N;

  const buf = new ArrayBuffer(total);
  const u8 = new Uint8Array(buf);
  const dv = new DataView(buf);
  dv.setUint32(0, MAGIC, true);
  dv.setUint32(4, headerBytes.length, true);
  u8.set(headerBytes, 8);

  const sections = layout(buf, start, header);
  let n = 0, c = 0, s = 0, k = 0;
  seq.frames.forEach((frame, f) => {
    sections.timestamps[f] = frame.timestamp;
    sections.counts[f] = frame.persons.length;
    for (const p of frame.persons) {
      sections.trackId[n] = p.track_id;
      sections.sinceSeen[n] = p.frames_since_seen;
      sections.confidence[n] = p.confidence ?? NaN;
      sections.tracking[n] = p.tracking_confidence;
      sections.bbox.set(p.bbox, 4 * n);
      sections.kp3d.set(p.keypoints_3d, 3 * J * n);
      sections.kp2d.set(p.keypoints_2d, 2 * J * n);
      const state = STATES.indexOf(p.state);
      if (state < 0) throw new CompactPoseError(`frame ${frame.frame_number} track ${p.track_id}: unknown state '${p.state}'`);
      sections.state[n] = state;
      let flags = 0;
      if (p.camera) {
        sections.camera.set([p.camera.tx, p.camera.ty, p.camera.tz], 3 * c++);
        flags |= FLAG_CAMERA;
      }
      if (p.smpl) {
        const q = sections.quats.subarray(4 * ROTATIONS * s, 4 * ROTATIONS * (s + 1));
        matrixToQuaternion(p.smpl.global_orient, 0, q, 0);
        for (let r = 0; r < 23; r++) matrixToQuaternion(p.smpl.body_pose, 9 * r, q, 4 * (r + 1));
        sections.betas.set(p.smpl.betas.subarray(0, BETAS), BETAS * s++);
        flags |= FLAG_SMPL;
      }
      if (p.keypoint_scores) {
        sections.scores.set(p.keypoint_scores, J * k++);
        flags |= FLAG_SCORES;
      }
      sections.flags[n] = flags;
      n++;
    }
  });
  return u8;
}

export function decodePoseSequence(bytes: Uint8Array): PoseSequence {
  if (bytes.byteLength < 8) throw new CompactPoseError(`too short (${bytes.byteLength} bytes)`);
  // Typed views need aligned offsets: copy once when the caller's view is not 8-byte aligned.
  const aligned = bytes.byteOffset % 8 === 0 ? bytes : bytes.slice();
  const buf = aligned.buffer as ArrayBuffer;
  const base = aligned.byteOffset;
  const dv = new DataView(buf, base, aligned.byteLength);
  if (dv.getUint32(0, true) !== MAGIC) throw new CompactPoseError('not a pose payload (bad magic)');
  const headerLength = dv.getUint32(4, true);
  if (8 + headerLength > aligned.byteLength) throw new CompactPoseError('truncated header');
  let header: Header;
  try {
    header = JSON.parse(new TextDecoder().decode(aligned.subarray(8, 8 + headerLength))) as Header;
  } catch {
    throw new CompactPoseError('header is not valid JSON');
  }
  const { F, N, J, C, S, K } = header;
  const floatsPerN = 2 + 4 + 3 * J + 2 * J;
  const start = pad(8 + headerLength, 8);
  const expected = start + 8 * F + 4 * F + 8 * N + 4 * (floatsPerN * N + 3 * C + (4 * ROTATIONS + BETAS) * S + J * K) + 2 * N;
  if (expected !== aligned.byteLength) throw new CompactPoseError(`size ${aligned.byteLength} bytes, header says ${expected}`);
  const sec = layout(buf, base + start, header);

  // One allocation for every decoded rotation matrix; persons get subarray views.
  const matrices = new Float32Array(9 * ROTATIONS * S);
  for (let i = 0; i < ROTATIONS * S; i++) quaternionToMatrix(sec.quats, 4 * i, matrices, 9 * i);

  const frames: PoseFrame[] = new Array(F);
  let n = 0, c = 0, s = 0, k = 0;
  for (let f = 0; f < F; f++) {
    const persons: PersonPose[] = new Array(sec.counts[f]);
    for (let i = 0; i < persons.length; i++, n++) {
      if (n >= N) throw new CompactPoseError('person counts exceed the person table');
      const flags = sec.flags[n];
      const conf = sec.confidence[n];
      let camera = null;
      if (flags & FLAG_CAMERA) {
        camera = { tx: sec.camera[3 * c], ty: sec.camera[3 * c + 1], tz: sec.camera[3 * c + 2] };
        c++;
      }
      let smpl = null;
      if (flags & FLAG_SMPL) {
        const m = 9 * ROTATIONS * s;
        smpl = {
          global_orient: matrices.subarray(m, m + 9),
          body_pose: matrices.subarray(m + 9, m + 9 * ROTATIONS),
          betas: sec.betas.subarray(BETAS * s, BETAS * (s + 1)),
        };
        s++;
      }
      let keypoint_scores = null;
      if (flags & FLAG_SCORES) keypoint_scores = sec.scores.subarray(J * k, J * ++k);
      const b = sec.bbox;
      persons[i] = {
        track_id: sec.trackId[n],
        state: STATES[sec.state[n]] ?? 'detected',
        confidence: Number.isNaN(conf) ? null : conf,
        tracking_confidence: sec.tracking[n],
        frames_since_seen: sec.sinceSeen[n],
        smpl,
        camera,
        keypoints_3d: sec.kp3d.subarray(3 * J * n, 3 * J * (n + 1)),
        keypoints_2d: sec.kp2d.subarray(2 * J * n, 2 * J * (n + 1)),
        keypoint_scores,
        bbox: [b[4 * n], b[4 * n + 1], b[4 * n + 2], b[4 * n + 3]],
      };
    }
    frames[f] = { frame_number: f, timestamp: sec.timestamps[f], persons };
  }
  return {
    runner: header.runner, joint_set: header.joint_set, joint_names: header.joint_names, width: header.width,
    height: header.height, fps: header.fps, frame_count: header.frame_count, intrinsics: header.intrinsics, frames,
  };
}

/** Typed views of every section, in file order, starting at byte `at` (8-byte aligned). */
function layout(buf: ArrayBuffer, at: number, h: Header) {
  const { F, N, J, C, S, K } = h;
  let o = at;
  const take = <T>(make: (o: number) => T, bytes: number): T => {
    const v = make(o);
    o += bytes;
    return v;
  };
  const f32 = (len: number) => take((o) => new Float32Array(buf, o, len), 4 * len);
  return {
    timestamps: take((o) => new Float64Array(buf, o, F), 8 * F),
    counts: take((o) => new Uint32Array(buf, o, F), 4 * F),
    trackId: take((o) => new Int32Array(buf, o, N), 4 * N),
    sinceSeen: take((o) => new Int32Array(buf, o, N), 4 * N),
    confidence: f32(N),
    tracking: f32(N),
    bbox: f32(4 * N),
    kp3d: f32(3 * J * N),
    kp2d: f32(2 * J * N),
    camera: f32(3 * C),
    quats: f32(4 * ROTATIONS * S),
    betas: f32(BETAS * S),
    scores: f32(J * K),
    state: take((o) => new Uint8Array(buf, o, N), N),
    flags: take((o) => new Uint8Array(buf, o, N), N),
  };
}

/** Row-major 3x3 rotation matrix -> unit quaternion (x, y, z, w), Shepperd's method (stable for every angle). */
export function matrixToQuaternion(m: ArrayLike<number>, mo: number, q: Float32Array, qo: number): void {
  const m00 = m[mo], m01 = m[mo + 1], m02 = m[mo + 2];
  const m10 = m[mo + 3], m11 = m[mo + 4], m12 = m[mo + 5];
  const m20 = m[mo + 6], m21 = m[mo + 7], m22 = m[mo + 8];
  const trace = m00 + m11 + m22;
  let x, y, z, w;
  if (trace > 0) {
    const s = 0.5 / Math.sqrt(trace + 1);
    w = 0.25 / s; x = (m21 - m12) * s; y = (m02 - m20) * s; z = (m10 - m01) * s;
  } else if (m00 > m11 && m00 > m22) {
    const s = 2 * Math.sqrt(1 + m00 - m11 - m22);
    w = (m21 - m12) / s; x = 0.25 * s; y = (m01 + m10) / s; z = (m02 + m20) / s;
  } else if (m11 > m22) {
    const s = 2 * Math.sqrt(1 + m11 - m00 - m22);
    w = (m02 - m20) / s; x = (m01 + m10) / s; y = 0.25 * s; z = (m12 + m21) / s;
  } else {
    const s = 2 * Math.sqrt(1 + m22 - m00 - m11);
    w = (m10 - m01) / s; x = (m02 + m20) / s; y = (m12 + m21) / s; z = 0.25 * s;
  }
  const len = Math.hypot(x, y, z, w) || 1;
  q[qo] = x / len; q[qo + 1] = y / len; q[qo + 2] = z / len; q[qo + 3] = w / len;
}

/** Unit quaternion (x, y, z, w) -> row-major 3x3 rotation matrix. */
export function quaternionToMatrix(q: ArrayLike<number>, qo: number, m: Float32Array, mo: number): void {
  const x = q[qo], y = q[qo + 1], z = q[qo + 2], w = q[qo + 3];
  m[mo] = 1 - 2 * (y * y + z * z); m[mo + 1] = 2 * (x * y - z * w); m[mo + 2] = 2 * (x * z + y * w);
  m[mo + 3] = 2 * (x * y + z * w); m[mo + 4] = 1 - 2 * (x * x + z * z); m[mo + 5] = 2 * (y * z - x * w);
  m[mo + 6] = 2 * (x * z - y * w); m[mo + 7] = 2 * (y * z + x * w); m[mo + 8] = 1 - 2 * (x * x + y * y);
}
