/**
 * Fixed-rate formats (BVH) on variable-frame-rate clips.
 *
 * A BVH has one `Frame Time`. When the frames' timestamps are evenly spaced at the clip's rate (every
 * frame within a quarter frame of t0 + i/fps) the frames are written as they are, one BVH frame per video
 * frame. Otherwise (VFR) the range is resampled onto an even grid t0 + k/fps, k = 0..round((t_last - t0) * fps),
 * each grid time taking the video frame NEAREST to it: poses are repeated or skipped, never blended or
 * invented, and the BVH's times match the video's within half a frame. glTF needs none of this: its
 * animation keeps every frame's real timestamp.
 */

export interface Timeline {
  /** for each output frame, the index (into the given frames) of the video frame it shows */
  picks: number[];
  /** seconds per output frame */
  frameTime: number;
  /** true when the timestamps were not evenly spaced and the frames were resampled */
  resampled: boolean;
}

export function fixedRateTimeline(timestamps: number[], fps: number): Timeline {
  const n = timestamps.length;
  if (n === 0) return { picks: [], frameTime: fps > 0 ? 1 / fps : 1 / 30, resampled: false };
  let rate = fps;
  if (!(rate > 0) || !Number.isFinite(rate)) {
    const deltas = timestamps.slice(1).map((t, i) => t - timestamps[i]).filter((d) => d > 0).sort((a, b) => a - b);
    rate = deltas.length ? 1 / deltas[deltas.length >> 1] : 30;
  }
  const dt = 1 / rate;
  const t0 = timestamps[0];
  const even = timestamps.every((t, i) => Math.abs(t - (t0 + i * dt)) <= dt / 4);
  if (even) return { picks: timestamps.map((_, i) => i), frameTime: dt, resampled: false };
  const count = Math.round((timestamps[n - 1] - t0) * rate) + 1;
  const picks: number[] = new Array(count);
  let j = 0;
  for (let k = 0; k < count; k++) {
    const t = t0 + k * dt;
    while (j + 1 < n && Math.abs(timestamps[j + 1] - t) <= Math.abs(timestamps[j] - t)) j++;
    picks[k] = j;
  }
  return { picks, frameTime: dt, resampled: true };
}
