import { Binary, type ObjectId } from 'mongodb';
import type { PersonPose, PersonState, PoseFrame } from '../pose/types';

/**
 * PoseFrame <-> MongoDB document, one document per video frame:
 *
 *   { clipId: ObjectId, frame: number, timestamp: number, persons: StoredPerson[], expiresAt?: Date }
 *
 * Why this layout (measured by bench/ingest.bench.ts, see the report in the commit history):
 * - float arrays are BSON Binary holding little-endian float32 bytes: a PHALP person-frame has ~460
 *   floats; as BSON doubles in arrays each costs 11-13 bytes (type, index key, 8-byte double) against 4,
 *   so plain arrays come to ~5.8 KB per person-frame and Binary to ~2 KB. Float32 in, float32 out: exact.
 * - keys are short because every byte is paid 1300 frames x persons times; the table below is the only
 *   place that knows them.
 * - bbox and camera are plain JS numbers in the model. They are stored as float32 Binary only when every
 *   value is exactly a float32 (always true for PHALP, whose values are f4), else as doubles, so the
 *   round trip is exact for any runner.
 *
 *   StoredPerson key | PersonPose field
 *   tid              | track_id (int32)
 *   st               | state ('detected' | 'held' | 'interpolated')
 *   conf             | confidence (double or null)
 *   tconf            | tracking_confidence (double)
 *   seen             | frames_since_seen (int32)
 *   smpl             | smpl: { go: global_orient, bp: body_pose, b: betas } (float32 Binary); absent when null
 *   cam              | camera [tx, ty, tz] (float32 Binary or double array); absent when null
 *   k3, k2           | keypoints_3d, keypoints_2d (float32 Binary)
 *   ks               | keypoint_scores (float32 Binary); absent when null
 *   bb               | bbox [x, y, w, h] (float32 Binary or double array)
 */

export interface StoredSmpl {
  go: Binary;
  bp: Binary;
  b: Binary;
}

export interface StoredPerson {
  tid: number;
  st: PersonState;
  conf: number | null;
  tconf: number;
  seen: number;
  smpl?: StoredSmpl;
  cam?: Binary | number[];
  k3: Binary;
  k2: Binary;
  ks?: Binary;
  bb: Binary | number[];
}

export interface FrameDoc {
  clipId: ObjectId;
  frame: number;
  timestamp: number;
  persons: StoredPerson[];
  expiresAt?: Date;
}

/** Which encoding to use for float arrays; 'binary' is the product's, 'array' exists to measure the other. */
export type FloatEncoding = 'binary' | 'array';

export class FrameCodecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FrameCodecError';
  }
}

const PERSON_STATES: readonly PersonState[] = ['detected', 'held', 'interpolated'];

// Float32Array shares the host's byte order; BSON and every reader of these bytes expect little-endian.
const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Float32Array([1]).buffer)[3] === 0x3f;

function float32Bytes(values: Float32Array): Uint8Array {
  if (HOST_IS_LITTLE_ENDIAN) return new Uint8Array(values.buffer, values.byteOffset, values.byteLength).slice();
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setFloat32(i * 4, v, true));
  return out;
}

function float32FromBytes(bytes: Uint8Array, what: string): Float32Array {
  if (bytes.byteLength % 4 !== 0) throw new FrameCodecError(`${what}: ${bytes.byteLength} bytes is not a whole number of float32 values`);
  const out = new Float32Array(bytes.byteLength / 4);
  if (HOST_IS_LITTLE_ENDIAN) {
    // copy: the driver's bytes are a view at an arbitrary (unaligned) offset of the reply buffer
    new Uint8Array(out.buffer).set(bytes);
  } else {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  }
  return out;
}

function encodeFloats(values: Float32Array, enc: FloatEncoding): Binary | number[] {
  return enc === 'binary' ? new Binary(float32Bytes(values)) : Array.from(values);
}

function encodeNumbers(values: readonly number[], enc: FloatEncoding): Binary | number[] {
  if (enc === 'binary' && values.every((v) => Math.fround(v) === v)) return new Binary(float32Bytes(Float32Array.from(values)));
  return [...values];
}

function decodeFloats(stored: unknown, what: string): Float32Array {
  if (stored instanceof Binary) return float32FromBytes(stored.buffer.subarray(0, stored.position), what);
  if (Array.isArray(stored)) return Float32Array.from(stored as number[]);
  throw new FrameCodecError(`${what}: expected float32 binary or a number array, got ${typeof stored}`);
}

function decodeNumbers(stored: unknown, what: string): number[] {
  if (stored instanceof Binary) return Array.from(decodeFloats(stored, what));
  if (Array.isArray(stored) && stored.every((v) => typeof v === 'number')) return [...(stored as number[])];
  throw new FrameCodecError(`${what}: expected float32 binary or a number array`);
}

function checkPerson(p: PersonPose, where: string): void {
  const fail = (msg: string) => {
    throw new FrameCodecError(`${where}, track ${p.track_id}: ${msg}`);
  };
  if (!Number.isInteger(p.track_id)) fail(`track_id must be an integer`);
  if (!PERSON_STATES.includes(p.state)) fail(`unknown state '${p.state}'`);
  if (!(p.keypoints_3d instanceof Float32Array) || p.keypoints_3d.length % 3 !== 0) fail('keypoints_3d must be a Float32Array of J*3 values');
  const joints = p.keypoints_3d.length / 3;
  if (!(p.keypoints_2d instanceof Float32Array) || p.keypoints_2d.length !== joints * 2)
    fail(`keypoints_2d must be a Float32Array of ${joints * 2} values (J=${joints} from keypoints_3d)`);
  if (p.keypoint_scores !== null && (!(p.keypoint_scores instanceof Float32Array) || p.keypoint_scores.length !== joints))
    fail(`keypoint_scores must be null or a Float32Array of ${joints} values`);
  if (p.smpl) {
    if (!(p.smpl.global_orient instanceof Float32Array) || p.smpl.global_orient.length !== 9) fail('smpl.global_orient must be 9 float32 (one 3x3 matrix)');
    if (!(p.smpl.body_pose instanceof Float32Array) || p.smpl.body_pose.length !== 207) fail('smpl.body_pose must be 207 float32 (23 3x3 matrices)');
    if (!(p.smpl.betas instanceof Float32Array)) fail('smpl.betas must be a Float32Array');
  }
  if (!Array.isArray(p.bbox) || p.bbox.length !== 4 || !p.bbox.every(Number.isFinite)) fail('bbox must be 4 finite numbers');
}

export function encodePerson(p: PersonPose, enc: FloatEncoding = 'binary', where = 'person'): StoredPerson {
  checkPerson(p, where);
  const doc: StoredPerson = {
    tid: p.track_id,
    st: p.state,
    conf: p.confidence,
    tconf: p.tracking_confidence,
    seen: p.frames_since_seen,
    k3: encodeFloats(p.keypoints_3d, enc) as Binary,
    k2: encodeFloats(p.keypoints_2d, enc) as Binary,
    bb: encodeNumbers(p.bbox, enc),
  };
  if (p.smpl) {
    doc.smpl = {
      go: encodeFloats(p.smpl.global_orient, enc) as Binary,
      bp: encodeFloats(p.smpl.body_pose, enc) as Binary,
      b: encodeFloats(p.smpl.betas, enc) as Binary,
    };
  }
  if (p.camera) doc.cam = encodeNumbers([p.camera.tx, p.camera.ty, p.camera.tz], enc);
  if (p.keypoint_scores) doc.ks = encodeFloats(p.keypoint_scores, enc) as Binary;
  return doc;
}

export function decodePerson(d: StoredPerson, where = 'person'): PersonPose {
  const w = `${where}, track ${d.tid}`;
  const cam = d.cam === undefined || d.cam === null ? null : decodeNumbers(d.cam, `${w} camera`);
  if (cam && cam.length !== 3) throw new FrameCodecError(`${w}: camera has ${cam.length} values, expected 3`);
  const bbox = decodeNumbers(d.bb, `${w} bbox`);
  if (bbox.length !== 4) throw new FrameCodecError(`${w}: bbox has ${bbox.length} values, expected 4`);
  return {
    track_id: d.tid,
    state: d.st,
    confidence: d.conf ?? null,
    tracking_confidence: d.tconf,
    frames_since_seen: d.seen,
    smpl: d.smpl
      ? {
          global_orient: decodeFloats(d.smpl.go, `${w} smpl.global_orient`),
          body_pose: decodeFloats(d.smpl.bp, `${w} smpl.body_pose`),
          betas: decodeFloats(d.smpl.b, `${w} smpl.betas`),
        }
      : null,
    camera: cam ? { tx: cam[0], ty: cam[1], tz: cam[2] } : null,
    keypoints_3d: decodeFloats(d.k3, `${w} keypoints_3d`),
    keypoints_2d: decodeFloats(d.k2, `${w} keypoints_2d`),
    keypoint_scores: d.ks === undefined || d.ks === null ? null : decodeFloats(d.ks, `${w} keypoint_scores`),
    bbox: bbox as [number, number, number, number],
  };
}

export function encodeFrame(
  clipId: ObjectId,
  frame: PoseFrame,
  opts: { expiresAt?: Date; encoding?: FloatEncoding } = {},
): FrameDoc {
  const where = `frame ${frame.frame_number}`;
  if (!Number.isInteger(frame.frame_number) || frame.frame_number < 0) throw new FrameCodecError(`${where}: frame_number must be a non-negative integer`);
  if (!Number.isFinite(frame.timestamp)) throw new FrameCodecError(`${where}: timestamp must be a finite number`);
  const doc: FrameDoc = {
    clipId,
    frame: frame.frame_number,
    timestamp: frame.timestamp,
    persons: frame.persons.map((p) => encodePerson(p, opts.encoding ?? 'binary', where)),
  };
  if (opts.expiresAt) doc.expiresAt = opts.expiresAt;
  return doc;
}

export function decodeFrame(doc: Pick<FrameDoc, 'frame' | 'timestamp' | 'persons'>): PoseFrame {
  const where = `frame ${doc.frame}`;
  return {
    frame_number: doc.frame,
    timestamp: doc.timestamp,
    persons: (doc.persons ?? []).map((p) => decodePerson(p, where)),
  };
}
