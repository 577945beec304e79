import { angleDepthDominated, angleNames, jointAngles } from '../pose/angles';
import type { PoseMeta } from '../frames/repo';
import type { ExportSource } from './source';

/**
 * CSV export: one row per person-frame, RFC 4180 (comma, CRLF, fields quoted when they hold a comma,
 * quote or line break), UTF-8, a header row, decimal points, empty field = no value. Values are the
 * frames API's (same numbers, same units, shortest round-trip decimal form):
 *   clip, frame, time_s (the frame's real timestamp, exact for VFR), track, state, confidence,
 *   tracking_confidence, frames_since_seen, bbox_x_px, bbox_y_px, bbox_w_px, bbox_h_px,
 *   camera_tx_m, camera_ty_m, camera_tz_m (PHALP's camera translation; empty for runners without one),
 *   <joint>_x_px, <joint>_y_px (video pixels) for every joint,
 *   <joint>_X_m, <joint>_Y_m, <joint>_Z_m (keypoints_3d, metres, OpenCV axes; PHALP: model space, add
 *   camera_t* for camera space) for every joint,
 *   <joint>_score for every joint (runners with per-keypoint scores, else empty),
 *   angle_<name>_deg for every joint angle (lib/pose/angles.ts), then angle_<name>_low_validity (0/1).
 * Streamed row by row, from the stored frames' typed arrays (the frames API's numbers, without building its JSON).
 */

export function csvField(v: string | number | boolean | null | undefined): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  if (typeof v === 'boolean') return v ? '1' : '0';
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

export function csvHeader(meta: Pick<PoseMeta, 'joint_names'>): string[] {
  const j = meta.joint_names;
  const angles = angleNames();
  return [
    'clip', 'frame', 'time_s', 'track', 'state', 'confidence', 'tracking_confidence', 'frames_since_seen',
    'bbox_x_px', 'bbox_y_px', 'bbox_w_px', 'bbox_h_px', 'camera_tx_m', 'camera_ty_m', 'camera_tz_m',
    ...j.flatMap((n) => [`${n}_x_px`, `${n}_y_px`]),
    ...j.flatMap((n) => [`${n}_X_m`, `${n}_Y_m`, `${n}_Z_m`]),
    ...j.map((n) => `${n}_score`),
    ...angles.map((a) => `angle_${a}_deg`),
    ...angles.map((a) => `angle_${a}_low_validity`),
  ];
}

const CRLF = '\r\n';

export async function* csvExport(src: ExportSource, clipLabel: string): AsyncGenerator<string> {
  const { meta } = src;
  const J = meta.joint_names.length;
  const angles = angleNames();
  const clip = csvField(clipLabel);
  yield csvHeader(meta).map(csvField).join(',') + CRLF;
  let rows: string[] = [];
  for await (const f of src.frames()) {
    for (const p of f.persons) {
      // straight from the model's typed arrays: the same numbers the frames API's personJson writes
      const a = jointAngles(meta.joint_set, p.keypoints_3d);
      const low = angleDepthDominated(meta.joint_set, p.keypoints_3d, p.camera);
      const row: (string | number | boolean | null)[] = [
        f.frame_number, f.timestamp, p.track_id, p.state, p.confidence, p.tracking_confidence, p.frames_since_seen,
        ...p.bbox, p.camera?.tx ?? null, p.camera?.ty ?? null, p.camera?.tz ?? null,
      ];
      for (let j = 0; j < J * 2; j++) row.push(p.keypoints_2d[j]);
      for (let j = 0; j < J * 3; j++) row.push(p.keypoints_3d[j]);
      for (let j = 0; j < J; j++) row.push(p.keypoint_scores ? p.keypoint_scores[j] : null);
      for (const name of angles) row.push(a[name]);
      for (const name of angles) row.push(low[name]);
      rows.push(clip + ',' + row.map(csvField).join(','));
    }
    if (rows.length >= 100) {
      yield rows.join(CRLF) + CRLF;
      rows = [];
    }
  }
  if (rows.length) yield rows.join(CRLF) + CRLF;
}
