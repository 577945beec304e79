/**
 * PHALP results (the dict joblib.load gives, see PHALP.md section 2) -> PoseSequence (lib/pose/types.ts).
 *
 * - Frames are placed by each record's `time` (0-based frame index), never by parsing the key (keys are
 *   PHALP's own JPG copies, Windows paths occur). Every frame 0..frame_count-1 is present; frames no
 *   record names, or records with nobody, get persons: [].
 * - Persons come from the index-aligned per-person lists (tid, tracked_time, bbox, conf, smpl, camera,
 *   3d_joints, 2d_joints, size). `tracked_ids`/`tracked_bbox` hold only this frame's matches and have
 *   other lengths: not used.
 * - state: 'detected' when tracked_time == 0, else 'held' (PHALP's stale ghost copy).
 * - keypoints_2d in video pixels and the intrinsics follow PHALP.md section 3.
 * The parsed values are shared, not copied (ghosts share their arrays with the last detection):
 * treat the sequence as read-only.
 */
import { NDArray, isTuple } from '../pickle/types';
import { PHALP45 } from '../pose/joints';
import { detectedTrackingConfidence, heldTrackingConfidence } from '../pose/confidence';
import type { Intrinsics, PersonPose, PoseFrame, PoseSequence } from '../pose/types';
import type { FrameIndex } from '../video/types';

export interface NormalizeOptions {
  /** The clip's frames.json: frame count, pts, width, height, fps. Without it they come from the pkl. */
  frameIndex?: FrameIndex;
  /** fps when there is no frameIndex; default 30. */
  fps?: number;
  /** Name of the source for error messages. */
  source?: string;
}

export class PhalpResultsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PhalpResultsError';
  }
}

const J = PHALP45.names.length; // 45

type Rec = Map<unknown, unknown>;

/** PHALP.md section 3: S = max(H, W), the image is zero-padded to an S x S square, centred. */
export function paddedSquare(height: number, width: number): { S: number; left: number; top: number } {
  const S = Math.max(height, width);
  return { S, left: Math.floor((S - width) / 2), top: Math.floor((S - height) / 2) };
}

export function phalpIntrinsics(height: number, width: number): Intrinsics {
  const { S, left, top } = paddedSquare(height, width);
  const f = (5000 * S) / 256;
  return { fx: f, fy: f, cx: S / 2 - left, cy: S / 2 - top };
}

export function normalizePhalpResults(results: unknown, opts: NormalizeOptions = {}): PoseSequence {
  const where = opts.source ? `${opts.source}: ` : '';
  const fail = (msg: string): never => {
    throw new PhalpResultsError(`${where}${msg}`);
  };
  if (!(results instanceof Map)) fail('not a PHALP results file (top level is not a dict)');
  const records: { key: string; time: number; rec: Rec }[] = [];
  for (const [key, rec] of results as Map<unknown, unknown>) {
    if (!(rec instanceof Map)) fail(`not a PHALP results file (entry ${String(key)} is not a dict)`);
    const time = (rec as Rec).get('time');
    if (typeof time !== 'number' || !Number.isInteger(time) || time < 0) {
      fail(`frame ${String(key)} has no valid 'time' (got ${String(time)})`);
    }
    records.push({ key: String(key), time: time as number, rec: rec as Rec });
  }

  // Image size as PHALP saw it ([H, W] per person), for pixels and intrinsics.
  let phalpSize: [number, number] | null = null;
  for (const { rec } of records) {
    const sizes = rec.get('size');
    if (Array.isArray(sizes) && sizes.length > 0) {
      phalpSize = sizePair(sizes[0]);
      if (phalpSize) break;
    }
  }
  const fi = opts.frameIndex;
  const maxTime = records.reduce((m, r) => Math.max(m, r.time), -1);
  const frameCount = fi ? fi.frameCount : maxTime + 1;
  if (fi && maxTime >= fi.frameCount) {
    fail(`results name frame ${maxTime} but the video has ${fi.frameCount} frames (results of another clip?)`);
  }
  const fps = fi?.fps ?? opts.fps ?? 30;
  const height = fi?.height ?? phalpSize?.[0] ?? 0;
  const width = fi?.width ?? phalpSize?.[1] ?? 0;

  const frames: PoseFrame[] = new Array(frameCount);
  for (let i = 0; i < frameCount; i++) {
    frames[i] = { frame_number: i, timestamp: fi?.pts[i] ?? i / fps, persons: [] };
  }
  const seen = new Map<number, string>();
  for (const { key, time, rec } of records) {
    const other = seen.get(time);
    if (other !== undefined) fail(`frames ${other} and ${key} both have time ${time}`);
    seen.set(time, key);
    frames[time].persons = readPersons(rec, key, fail);
  }

  const [ih, iw] = phalpSize ?? [height, width];
  return {
    runner: 'phalp',
    joint_set: PHALP45.name,
    joint_names: [...PHALP45.names],
    width,
    height,
    fps,
    frame_count: frameCount,
    intrinsics: ih > 0 && iw > 0 ? phalpIntrinsics(ih, iw) : null,
    frames,
  };
}

function sizePair(x: unknown): [number, number] | null {
  const v = x instanceof NDArray ? Array.from(x.data as ArrayLike<number | bigint>, Number) : Array.isArray(x) ? x.map(Number) : null;
  return v && v.length === 2 && v[0] > 0 && v[1] > 0 ? [v[0], v[1]] : null;
}

function readPersons(rec: Rec, key: string, fail: (m: string) => never): PersonPose[] {
  const tid = rec.get('tid');
  if (!Array.isArray(tid)) fail(`frame ${key}: 'tid' is not a list`);
  const n = (tid as unknown[]).length;
  if (n === 0) return [];
  const list = (name: string): unknown[] => {
    const v = rec.get(name);
    if (!Array.isArray(v) || isTuple(v) || v.length !== n) {
      fail(`frame ${key}: '${name}' should be a list of ${n} entries like 'tid'`);
    }
    return v as unknown[];
  };
  const trackedTime = list('tracked_time');
  const conf = list('conf');
  const bbox = list('bbox');
  const smpl = list('smpl');
  const camera = list('camera');
  const j3d = list('3d_joints');
  const j2d = list('2d_joints');
  const size = list('size');
  const persons: PersonPose[] = [];
  for (let i = 0; i < n; i++) {
    const what = (name: string) => `frame ${key}, person ${i} (tid ${String(tid[i])}): '${name}'`;
    const f32 = (v: unknown, len: number, name: string): Float32Array => {
      if (!(v instanceof NDArray) || v.data.length !== len) fail(`${what(name)} should be an array of ${len} numbers`);
      const d = (v as NDArray).data;
      return d instanceof Float32Array ? d : Float32Array.from(d as ArrayLike<number>, Number);
    };
    const num = (v: unknown, name: string): number => {
      const x = typeof v === 'bigint' ? Number(v) : v;
      if (typeof x !== 'number' || !Number.isFinite(x)) fail(`${what(name)} should be a number`);
      return x as number;
    };
    const trackId = num(tid[i], 'tid');
    const since = num(trackedTime[i], 'tracked_time');
    const score = num(conf[i], 'conf');
    const sz = sizePair(size[i]);
    if (!sz) fail(`${what('size')} should be [H, W]`);
    const { S, left, top } = paddedSquare(sz![0], sz![1]);
    const norm2d = f32(j2d[i], 2 * J, '2d_joints');
    const kp2d = new Float32Array(2 * J);
    for (let k = 0; k < J; k++) {
      kp2d[2 * k] = norm2d[2 * k] * S - left;
      kp2d[2 * k + 1] = norm2d[2 * k + 1] * S - top;
    }
    const s = smpl[i];
    if (!(s instanceof Map)) fail(`${what('smpl')} should be a dict`);
    const sm = s as Rec;
    const cam = f32(camera[i], 3, 'camera');
    const box = f32(bbox[i], 4, 'bbox');
    const detected = since === 0;
    persons.push({
      track_id: trackId,
      state: detected ? 'detected' : 'held',
      confidence: score,
      tracking_confidence: detected ? detectedTrackingConfidence(score) : heldTrackingConfidence(score, since),
      frames_since_seen: since,
      smpl: {
        global_orient: f32(sm.get('global_orient'), 9, 'smpl.global_orient'),
        body_pose: f32(sm.get('body_pose'), 207, 'smpl.body_pose'),
        betas: f32(sm.get('betas'), 10, 'smpl.betas'),
      },
      camera: { tx: cam[0], ty: cam[1], tz: cam[2] },
      keypoints_3d: f32(j3d[i], 3 * J, '3d_joints'),
      keypoints_2d: kp2d,
      keypoint_scores: null,
      bbox: [box[0], box[1], box[2], box[3]],
    });
  }
  persons.sort((a, b) => a.track_id - b.track_id);
  return persons;
}
