import type { Db } from 'mongodb';
import { getConfig } from '../config';
import { getDb } from '../db';
import { anglesWithValidity } from '../pose/angles';
import type { PersonPose, PoseFrame } from '../pose/types';
import { bodyMeshes, MeshUnavailableError } from './mesh';
import { readFrames, readPoseMeta, toClipObjectId, CLIPS } from './repo';
import { readSmoothedFrames } from './smoothed';

/**
 * GET /api/clips/:id/frames?from=&to=&mesh=&smooth= : the per-frame JSON of the original design, field names as
 * ARCHITECTURE.md writes them. The route handler only forwards to `framesResponse`.
 * Every person carries `joint_angles` (degrees|null, lib/pose/angles.ts) and `joint_angles_low_validity`.
 * smooth=1: zero-lag smoothed values (lib/pose/smooth.ts), same shape, angles from the smoothed joints.
 */

/** Frames per request: ~2 persons x ~6 KB of JSON each keeps a full page around 12 MB. */
export const MAX_FRAMES = 1000;
/** With mesh=1 every person-frame carries 6890 vertices (~210 KB of JSON): 10 frames of 2 people is ~4 MB. */
export const MAX_MESH_FRAMES = 10;

export type Mat3 = [number[], number[], number[]];

export interface PersonJson {
  track_id: number;
  confidence: number | null;
  tracking_confidence: number;
  state: PersonPose['state'];
  frames_since_seen: number;
  smpl: { betas: number[]; body_pose: Mat3[]; global_orient: Mat3 } | null;
  keypoints_3d: number[][];
  keypoints_2d: number[][];
  keypoint_scores: number[] | null;
  camera: { tx: number; ty: number; tz: number } | null;
  bbox: number[];
  /** only with mesh=1: 6890 x [x, y, z], camera space (model space + camera), metres */
  mesh_vertices?: number[][];
  /** degrees|null per angle of lib/pose/angles.ts ANGLE_DEFS; always present in frames API responses */
  joint_angles?: Record<string, number | null>;
  /** per angle: true when a limb segment points mostly along the camera's line of sight (low validity) */
  joint_angles_low_validity?: Record<string, boolean>;
}

export interface FrameJson {
  frame_number: number;
  timestamp: number;
  persons: PersonJson[];
}

export interface FramesBody {
  total_frames: number;
  /**
   * Frames 0..final_frames-1 are stored and final (they and their track ids never change). While the
   * clip is processing only those are served and the count grows as tracking runs; done: total_frames.
   */
  final_frames: number;
  /** true when the clip is done (final_frames = total_frames) */
  complete: boolean;
  joint_names: string[];
  fps: number;
  width: number;
  height: number;
  intrinsics: { fx: number; fy: number; cx: number; cy: number } | null;
  /** the range returned (inclusive), after clamping to the clip and capping */
  from: number;
  to: number;
  /** true when the requested range was longer than max_frames: ask again from `next_from` */
  capped: boolean;
  max_frames: number;
  next_from: number | null;
  /** true when the values are the zero-lag smoothed ones (smooth=1), false for the runner's raw values */
  smoothed: boolean;
  frames: FrameJson[];
}

type ErrorStatus = 400 | 404 | 409 | 410 | 422;
export type FramesResult =
  | { status: 200; body: FramesBody }
  | { status: ErrorStatus; body: { error: string; final_frames?: number; total_frames?: number } };

const fail = (status: ErrorStatus, error: string, extra: { final_frames?: number; total_frames?: number } = {}): FramesResult => ({
  status,
  body: { error, ...extra },
});

function rows(values: Float32Array, width: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < values.length; i += width) out.push(Array.from(values.subarray(i, i + width)));
  return out;
}

function mat3(values: Float32Array, at: number): Mat3 {
  return rows(values.subarray(at, at + 9), 3) as Mat3;
}

/** A person as the frames API writes it; with `jointSet`, its joint angles and their validity too. */
export function personJson(p: PersonPose, jointSet?: string): PersonJson {
  const json: PersonJson = {
    track_id: p.track_id,
    confidence: p.confidence,
    tracking_confidence: p.tracking_confidence,
    state: p.state,
    frames_since_seen: p.frames_since_seen,
    smpl: p.smpl
      ? {
          betas: Array.from(p.smpl.betas),
          body_pose: Array.from({ length: p.smpl.body_pose.length / 9 }, (_, j) => mat3(p.smpl!.body_pose, j * 9)),
          global_orient: mat3(p.smpl.global_orient, 0),
        }
      : null,
    keypoints_3d: rows(p.keypoints_3d, 3),
    keypoints_2d: rows(p.keypoints_2d, 2),
    keypoint_scores: p.keypoint_scores ? Array.from(p.keypoint_scores) : null,
    camera: p.camera ? { ...p.camera } : null,
    bbox: [...p.bbox],
  };
  if (jointSet) {
    const { angles, lowValidity } = anglesWithValidity(jointSet, p.keypoints_3d, p.camera);
    json.joint_angles = angles;
    json.joint_angles_low_validity = lowValidity;
  }
  return json;
}

export function frameJson(f: PoseFrame, jointSet?: string): FrameJson {
  return { frame_number: f.frame_number, timestamp: f.timestamp, persons: f.persons.map((p) => personJson(p, jointSet)) };
}

/** A query parameter that must be a 0-based frame number; null when absent. */
function frameParam(name: string, raw: string | null): number | string | null {
  if (raw === null || raw === '') return null;
  if (!/^\d{1,9}$/.test(raw.trim())) return `${name} must be a whole frame number from 0 (got '${raw}')`;
  return Number(raw.trim());
}

export async function framesResponse(clipId: string, query: URLSearchParams, opts: { db?: Db } = {}): Promise<FramesResult> {
  let oid;
  try {
    oid = toClipObjectId(clipId);
  } catch {
    return fail(404, `no clip '${clipId}'`);
  }
  const fromP = frameParam('from', query.get('from'));
  const toP = frameParam('to', query.get('to'));
  if (typeof fromP === 'string') return fail(400, fromP);
  if (typeof toP === 'string') return fail(400, toP);
  const meshRaw = query.get('mesh');
  if (meshRaw !== null && !['0', '1', 'true', 'false', ''].includes(meshRaw)) return fail(400, `mesh must be 1 or 0 (got '${meshRaw}')`);
  const mesh = meshRaw === '1' || meshRaw === 'true';
  const smoothRaw = query.get('smooth');
  if (smoothRaw !== null && !['0', '1', 'true', 'false', ''].includes(smoothRaw)) return fail(400, `smooth must be 1 or 0 (got '${smoothRaw}')`);
  const smooth = smoothRaw === '1' || smoothRaw === 'true';
  if (fromP !== null && toP !== null && fromP > toP) return fail(400, `from (${fromP}) must not be after to (${toP})`);

  const db = opts.db ?? (await getDb());
  const clip = await db.collection(CLIPS).findOne<{ status: string; finalFrames?: number }>({ _id: oid }, { projection: { status: 1, finalFrames: 1 } });
  if (!clip) return fail(404, `no clip '${clipId}'`);
  const processing = clip.status === 'processing';
  if (!processing && clip.status !== 'done') return fail(409, `clip is ${clip.status}: frames exist while it is processing (the final ones so far) and when it is done`);
  const meta = processing && !clip.finalFrames ? null : await readPoseMeta(clipId, { db });
  if (!meta) {
    if (processing) return fail(409, 'clip is processing and no frame is final yet: ask again after the next `frames` event', { final_frames: 0 });
    return fail(404, 'this clip has no stored poses');
  }

  const total = meta.frame_count;
  // while processing only the frames stored as final are served (results while tracking runs)
  const available = processing ? Math.min(clip.finalFrames ?? 0, total) : total;
  const from = fromP ?? 0;
  if (processing && from > available - 1 && from < total)
    return fail(409, `frame ${from} is not final yet: frames 0..${available - 1} of ${total} are (clip is processing)`, { final_frames: available, total_frames: total });
  if (total === 0 ? from > 0 : from > total - 1) return fail(400, `from=${from} is past the last frame (${total - 1}; the clip has ${total} frames)`);
  const maxFrames = mesh ? MAX_MESH_FRAMES : MAX_FRAMES;
  const wanted = Math.min(toP ?? available - 1, available - 1);
  const to = Math.min(wanted, from + maxFrames - 1);
  const capped = to < wanted;

  let meshOf: ((p: PersonPose) => number[][] | null) | null = null;
  if (mesh) {
    try {
      meshOf = await bodyMeshes(getConfig().smplModelPath);
    } catch (err) {
      if (err instanceof MeshUnavailableError) return fail(422, err.message);
      throw err;
    }
  }

  const frames = total === 0 ? [] : smooth ? await readSmoothedFrames(clipId, meta, from, to, { db }) : await readFrames(clipId, from, to, { db });
  // every frame has a document (persons: [] when empty): a shortfall means they expired or were deleted
  if (frames.length !== to - from + 1)
    return fail(410, `${to - from + 1 - frames.length} of frames ${from}..${to} are no longer stored (expired through FRAMES_TTL_DAYS?); run the clip again`);
  return {
    status: 200,
    body: {
      total_frames: total,
      final_frames: available,
      complete: !processing,
      joint_names: meta.joint_names,
      fps: meta.fps,
      width: meta.width,
      height: meta.height,
      intrinsics: meta.intrinsics,
      from,
      to,
      capped,
      max_frames: maxFrames,
      next_from: capped ? to + 1 : null,
      smoothed: smooth,
      frames: frames.map((f) => {
        const json = frameJson(f, meta.joint_set);
        if (meshOf) {
          json.persons.forEach((p, i) => {
            const vertices = meshOf!(f.persons[i]);
            if (vertices) p.mesh_vertices = vertices;
          });
        }
        return json;
      }),
    },
  };
}
