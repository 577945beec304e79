import type { Db } from 'mongodb';
import { smoothSequence, smoothingContext, type SmoothOptions } from '../pose/smooth';
import type { PoseFrame } from '../pose/types';
import { readFrames, type PoseMeta } from './repo';

/**
 * Smoothed frames from..to of a stored clip, without loading the whole clip: the zero-lag smoother
 * (lib/pose/smooth.ts) only looks a bounded number of frames around each frame (smoothingContext), so
 * the range is read widened by that many frames on each side, smoothed, and cut. The result equals
 * smoothing the whole clip and cutting (test/analysis/frames-smooth.test.ts checks it).
 * Frames that are not stored are simply absent, as with readFrames (callers check counts); the smoother
 * goes by frame_number, so a hole is a gap like any other.
 */
export async function readSmoothedFrames(
  clipId: string,
  meta: PoseMeta,
  from: number,
  to: number,
  opts: { db?: Db; smooth?: SmoothOptions } = {},
): Promise<PoseFrame[]> {
  const margin = smoothingContext(meta.fps, opts.smooth);
  const lo = Math.max(0, from - margin);
  const hi = Math.min(meta.frame_count - 1, to + margin);
  const frames = await readFrames(clipId, lo, hi, { db: opts.db });
  if (!frames.length) return [];
  const smoothed = smoothSequence({ ...meta, frame_count: frames.length, frames }, opts.smooth);
  return smoothed.frames.filter((f) => f.frame_number >= from && f.frame_number <= to);
}
