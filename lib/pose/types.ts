/**
 * The one pose data model.
 *
 * Every runner (PHALP, CPU) produces a `PoseSequence`; the worker stores its frames as they are
 * (one MongoDB document per video frame), the frames API serves them with these same field names,
 * and the viewer draws them. Field names of a person are the HTTP API's names (ARCHITECTURE.md), so
 * no stage renames or converts what an earlier stage wrote.
 *
 * Units and frames of reference:
 * - `keypoints_2d`: original video pixels (x right, y down), one (x, y) pair per joint.
 * - `keypoints_3d`: metres, one (x, y, z) triple per joint, OpenCV axes (x right, y down, z forward).
 *   PHALP: SMPL model space (add `camera` to get camera space). CPU runner: hip-centred world space.
 * - rotation matrices are row-major 3x3, float32.
 */

/** How a person's values at a frame came about. Only `detected` is a real observation of THIS frame. */
export type PersonState = 'detected' | 'held' | 'interpolated';

export type RunnerKind = 'phalp' | 'cpu';

export interface SmplParams {
  /** 1 rotation matrix, 9 floats (row-major 3x3). */
  global_orient: Float32Array;
  /** 23 rotation matrices, 207 floats. */
  body_pose: Float32Array;
  /** 10 shape coefficients. */
  betas: Float32Array;
}

/** Translation added to SMPL model-space points to get camera space (metres, OpenCV axes). */
export interface CameraTranslation {
  tx: number;
  ty: number;
  tz: number;
}

export interface PersonPose {
  track_id: number;
  state: PersonState;
  /**
   * Detector (PHALP) or pose-model (CPU) score of the detection the values come from, 0..1.
   * For `held` it is the stale score of the last real detection; for `interpolated`, null.
   */
  confidence: number | null;
  /** How much to trust this frame's values, 0..1; defined in lib/pose/confidence.ts. Falls for held frames. */
  tracking_confidence: number;
  /** Frames since this track was last matched to a detection (0 when detected). */
  frames_since_seen: number;
  /** SMPL parameters (PHALP); null for runners without a body model. */
  smpl: SmplParams | null;
  camera: CameraTranslation | null;
  /** J*3 floats, metres. */
  keypoints_3d: Float32Array;
  /** J*2 floats, original video pixels. */
  keypoints_2d: Float32Array;
  /** J floats 0..1, per-keypoint scores where the runner has them (CPU), else null. */
  keypoint_scores: Float32Array | null;
  /** [x, y, w, h] in original video pixels. */
  bbox: [number, number, number, number];
}

export interface PoseFrame {
  /** 0-based index of the video frame. */
  frame_number: number;
  /** Presentation time of the frame in seconds, from the extracted frame list (exact for VFR clips). */
  timestamp: number;
  /** Everybody present at this frame; [] when nobody is. */
  persons: PersonPose[];
}

/** Pinhole intrinsics in original video pixels (PHALP.md section 3). */
export interface Intrinsics {
  fx: number;
  fy: number;
  cx: number;
  cy: number;
}

export type LostReason = 'before_confirmation' | 'not_matched' | 'after_end';

/** A run of consecutive frames in which a track was not detected. */
export interface LostSpan {
  from: number;
  to: number; // inclusive
  /** what the frames show: held (stale copy), interpolated, or missing (track absent) */
  shown_as: 'held' | 'interpolated' | 'missing';
  reason: LostReason;
}

export interface TrackStats {
  track_id: number;
  first_frame: number; // first frame the track is present (any state)
  last_frame: number;
  detected: number;
  held: number;
  interpolated: number;
  missing: number; // frames of the clip where the track is absent
  mean_confidence: number | null; // over detected frames
  mean_tracking_confidence: number | null; // over present frames
  lost: LostSpan[];
}

export interface PoseSequence {
  runner: RunnerKind;
  /** Name of the joint set (see lib/pose/joints.ts), e.g. 'phalp45'. */
  joint_set: string;
  joint_names: string[];
  width: number;
  height: number;
  fps: number;
  frame_count: number;
  /** Camera for projecting keypoints_3d (+ camera translation) onto the video; PHALP only. */
  intrinsics: Intrinsics | null;
  /** One entry per video frame, frame_number 0..frame_count-1, in order. */
  frames: PoseFrame[];
}
