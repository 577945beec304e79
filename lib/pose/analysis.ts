/**
 * The coaching analysis of a whole sequence in one call: coherence breaks, the zero-lag smoothed
 * sequence (breaks excluded as anchors) and per-track jitter raw vs smoothed. The worker stores
 * `analysis` in the clip's stats after ingest; the smoothed sequence is derived, never stored (the
 * frames API and the player recompute it).
 */
import { findCoherenceBreaks, type CoherenceBreak } from './coherence';
import { trackDeviation, trackJitter } from './jitter';
import { smoothSequence, type SmoothOptions } from './smooth';
import type { PoseSequence } from './types';

export interface TrackAnalysis {
  track_id: number;
  /** median joint acceleration, % of box height per frame^2 (lib/pose/jitter.ts), raw and smoothed */
  jitter_raw: number | null;
  jitter_smoothed: number | null;
  /** the same in 3D, mm per frame^2 */
  jitter_3d_mm_raw: number | null;
  jitter_3d_mm_smoothed: number | null;
  /** mean distance of smoothed from raw detected 2D joints, % of box height */
  smoothing_shift_pct: number | null;
  breaks: CoherenceBreak[];
}

export interface SequenceAnalysis {
  tracks: TrackAnalysis[];
}

export function analyseSequence(seq: PoseSequence, opts: SmoothOptions = {}): { smoothed: PoseSequence; analysis: SequenceAnalysis } {
  const breaks = opts.breaks ? [...opts.breaks] : findCoherenceBreaks(seq, { maxGap: opts.maxGap, ...opts.coherence });
  const smoothed = smoothSequence(seq, { ...opts, breaks });
  const raw = new Map(trackJitter(seq).map((t) => [t.track_id, t]));
  const smooth = new Map(trackJitter(smoothed).map((t) => [t.track_id, t]));
  const shift = new Map(trackDeviation(seq, smoothed).map((t) => [t.track_id, t.deviation_pct]));
  const tracks: TrackAnalysis[] = [...raw.keys()].map((id) => ({
    track_id: id,
    jitter_raw: raw.get(id)!.jitter_pct,
    jitter_smoothed: smooth.get(id)?.jitter_pct ?? null,
    jitter_3d_mm_raw: raw.get(id)!.jitter_3d_mm,
    jitter_3d_mm_smoothed: smooth.get(id)?.jitter_3d_mm ?? null,
    smoothing_shift_pct: shift.get(id) ?? null,
    breaks: breaks.filter((b) => b.track_id === id),
  }));
  return { smoothed, analysis: { tracks } };
}
