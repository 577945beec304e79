import type { PersonPose, PoseFrame } from '../pose/types';
import type { FrameJson, Mat3, PersonJson } from './api';

/**
 * The frames API's per-frame JSON (lib/frames/api.ts frameJson) back into the one pose data model
 * (lib/pose/types.ts), for the player that appends frames fetched while tracking runs to the sequence
 * it holds. No node: imports (runs in the browser). Derived fields (joint_angles, mesh_vertices) are
 * dropped: the player derives them itself.
 */
export function poseFrameFromJson(f: FrameJson): PoseFrame {
  return { frame_number: f.frame_number, timestamp: f.timestamp, persons: f.persons.map(personFromJson) };
}

function flat(rows: number[][]): Float32Array {
  const width = rows[0]?.length ?? 0;
  const out = new Float32Array(rows.length * width);
  rows.forEach((r, i) => out.set(r, i * width));
  return out;
}

function mats(list: Mat3[]): Float32Array {
  const out = new Float32Array(list.length * 9);
  list.forEach((m, i) => m.forEach((row, r) => out.set(row, i * 9 + r * 3)));
  return out;
}

export function personFromJson(p: PersonJson): PersonPose {
  return {
    track_id: p.track_id,
    state: p.state,
    confidence: p.confidence,
    tracking_confidence: p.tracking_confidence,
    frames_since_seen: p.frames_since_seen,
    smpl: p.smpl
      ? { betas: Float32Array.from(p.smpl.betas), body_pose: mats(p.smpl.body_pose), global_orient: mats([p.smpl.global_orient]) }
      : null,
    camera: p.camera ? { tx: p.camera.tx, ty: p.camera.ty, tz: p.camera.tz } : null,
    keypoints_3d: flat(p.keypoints_3d),
    keypoints_2d: flat(p.keypoints_2d),
    keypoint_scores: p.keypoint_scores ? Float32Array.from(p.keypoint_scores) : null,
    bbox: [p.bbox[0]!, p.bbox[1]!, p.bbox[2]!, p.bbox[3]!],
  };
}
