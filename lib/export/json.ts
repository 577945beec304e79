import { frameJson, type FrameJson } from '../frames/api';
import type { PoseFrame } from '../pose/types';
import type { ExportSource } from './source';

/**
 * JSON export: the original design's per-frame document for the whole range in one file, with the
 * frames API's field names and units (its builder, lib/frames/api.ts frameJson): total_frames,
 * joint_names, fps, width, height, intrinsics, from, to, smoothed, tracks, frames[].persons[] (with
 * joint_angles and joint_angles_low_validity, as the frames API gives them).
 * Streamed: the head, then one frame at a time.
 */

/** A frame exactly as the frames API writes it (joint angles included). */
export function exportFrameJson(jointSet: string, f: PoseFrame): FrameJson {
  return frameJson(f, jointSet);
}

export async function* jsonExport(src: ExportSource): AsyncGenerator<string> {
  const { meta } = src;
  const head = {
    total_frames: meta.frame_count,
    joint_names: meta.joint_names,
    joint_set: meta.joint_set,
    fps: meta.fps,
    width: meta.width,
    height: meta.height,
    intrinsics: meta.intrinsics,
    from: src.from,
    to: src.to,
    smoothed: src.smoothed,
    tracks: src.tracks,
  };
  yield JSON.stringify(head).slice(0, -1) + ',"frames":[';
  let first = true;
  let batch: string[] = [];
  for await (const f of src.frames()) {
    batch.push((first ? '' : ',') + JSON.stringify(exportFrameJson(meta.joint_set, f)));
    first = false;
    if (batch.length >= 50) {
      yield batch.join('');
      batch = [];
    }
  }
  yield batch.join('') + ']}';
}
