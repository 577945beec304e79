/**
 * tracking_confidence: how much to trust a person's values at a frame, 0..1 (PersonPose).
 *
 * - detected: the detector's score of this frame's detection (nothing better exists: PHALP keeps no
 *   per-frame tracking score, and the CPU model's score plays the same role).
 * - held (PHALP's ghost: a stale copy of the last matched detection): that detection's score times
 *   HOLD_DECAY ** frames_since_seen. The person has moved on while the values stand still, so trust
 *   falls with every frame: about halves after 4 frames, under 0.2 after 10.
 * - interpolated (between two real detections a and b of the same track): the two scores blended
 *   linearly by position, times HOLD_DECAY ** d with d = distance in frames to the NEAREST of a and b.
 *   It is higher than a held value at the same distance from its last detection in the middle-to-late
 *   part of a gap because both ends are real observations, but still falls with distance.
 * Per-frame decay (not per-second) because PHALP's own ghost age limit is counted in frames.
 */

/** Per-frame factor for values that are not this frame's observation. */
export const HOLD_DECAY = 0.85;

function clamp01(x: number): number {
  return x < 0 ? 0 : x > 1 ? 1 : x;
}

export function detectedTrackingConfidence(score: number): number {
  return clamp01(score);
}

export function heldTrackingConfidence(lastScore: number, framesSinceSeen: number): number {
  return clamp01(lastScore) * HOLD_DECAY ** Math.max(0, framesSinceSeen);
}

/**
 * @param scoreA detector score at the detection before the gap (frame a)
 * @param scoreB detector score at the detection after the gap (frame b)
 * @param t position in the gap, (f - a) / (b - a), 0 < t < 1
 * @param distance frames to the nearest of a and b, min(f - a, b - f)
 */
export function interpolatedTrackingConfidence(scoreA: number, scoreB: number, t: number, distance: number): number {
  return clamp01(scoreA + (scoreB - scoreA) * t) * HOLD_DECAY ** Math.max(0, distance);
}
