/**
 * Frame <-> time, from the stored presentation time of every frame (PoseFrame.timestamp), so
 * variable-frame-rate clips map exactly. A frame is shown from its timestamp until the next one's.
 */

/** The frame on screen at media time `t` (seconds): the last frame whose timestamp is <= t. */
export function frameAtTime(timestamps: ArrayLike<number>, t: number): number {
  const n = timestamps.length;
  if (n === 0) return 0;
  // A tiny tolerance: media times reported by the browser are rounded (microseconds).
  const target = t + 1e-6;
  let lo = 0, hi = n - 1;
  if (target < timestamps[0]) return 0;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (timestamps[mid] <= target) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Nominal duration of frame `i`: to the next timestamp, or the median step for the last frame. */
export function frameDuration(timestamps: ArrayLike<number>, i: number, fps: number): number {
  if (i + 1 < timestamps.length) return timestamps[i + 1] - timestamps[i];
  if (timestamps.length >= 2) return timestamps[timestamps.length - 1] - timestamps[timestamps.length - 2];
  return fps > 0 ? 1 / fps : 1 / 30;
}

/**
 * Where to seek to show frame `i`: the middle of its display interval, so decoders that round a
 * seek time down never land on the previous frame.
 */
export function seekTimeForFrame(timestamps: ArrayLike<number>, i: number, fps: number): number {
  const f = clampFrame(i, timestamps.length);
  return timestamps[f] + frameDuration(timestamps, f, fps) / 2;
}

export function clampFrame(i: number, frameCount: number): number {
  if (frameCount <= 0) return 0;
  return Math.min(frameCount - 1, Math.max(0, Math.round(i)));
}

/** "m:ss.mmm" for a coach reading times off the screen. */
export function formatTime(seconds: number): string {
  const s = Math.max(0, seconds);
  const m = Math.floor(s / 60);
  const rest = s - 60 * m;
  return `${m}:${rest.toFixed(3).padStart(6, '0')}`;
}
