/**
 * Per-track views of a sequence, built once per clip: which tracks exist, what every frame shows
 * for each (coverage), the tracking-confidence series, and why a frame is not a detection.
 * Lookups per frame are O(1) so the timeline and the scene never search during playback.
 */
import type { LostReason, LostSpan, PersonPose, PoseSequence, TrackStats } from '../pose/types';

/** Coverage codes, one byte per frame and track. */
export const COVER = { missing: 0, detected: 1, held: 2, interpolated: 3 } as const;
export type CoverCode = (typeof COVER)[keyof typeof COVER];
const CODE_OF_STATE = { detected: COVER.detected, held: COVER.held, interpolated: COVER.interpolated } as const;

export interface TrackTable {
  trackIds: number[];
  frameCount: number;
  /** per track: coverage code of every frame */
  coverage: Map<number, Uint8Array>;
  /** per track: tracking_confidence of every frame (NaN where the track is absent) */
  confidence: Map<number, Float32Array>;
  /** per track: index of the person in frames[f].persons, -1 when absent */
  personIndex: Map<number, Int16Array>;
}

export function buildTrackTable(seq: PoseSequence): TrackTable {
  const F = seq.frames.length;
  const ids = new Set<number>();
  for (const frame of seq.frames) for (const p of frame.persons) ids.add(p.track_id);
  const trackIds = [...ids].sort((a, b) => a - b);
  const coverage = new Map<number, Uint8Array>();
  const confidence = new Map<number, Float32Array>();
  const personIndex = new Map<number, Int16Array>();
  for (const id of trackIds) {
    coverage.set(id, new Uint8Array(F));
    confidence.set(id, new Float32Array(F).fill(NaN));
    personIndex.set(id, new Int16Array(F).fill(-1));
  }
  seq.frames.forEach((frame, f) => {
    frame.persons.forEach((p, i) => {
      coverage.get(p.track_id)![f] = CODE_OF_STATE[p.state];
      confidence.get(p.track_id)![f] = p.tracking_confidence;
      personIndex.get(p.track_id)![f] = i;
    });
  });
  return { trackIds, frameCount: F, coverage, confidence, personIndex };
}

export function personAt(seq: PoseSequence, table: TrackTable, trackId: number, frame: number): PersonPose | null {
  const i = table.personIndex.get(trackId)?.[frame] ?? -1;
  return i < 0 ? null : seq.frames[frame].persons[i];
}

/** Runs of equal coverage codes, for drawing a strip with few rectangles. */
export function coverageRuns(codes: Uint8Array): { from: number; to: number; code: CoverCode }[] {
  const runs: { from: number; to: number; code: CoverCode }[] = [];
  for (let f = 0; f < codes.length; f++) {
    const last = runs[runs.length - 1];
    if (last && last.code === codes[f] && last.to === f - 1) last.to = f;
    else runs.push({ from: f, to: f, code: codes[f] as CoverCode });
  }
  return runs;
}

const REASON_TEXT: Record<LostReason, string> = {
  before_confirmation: 'track not confirmed yet (the tracker needs several detections in a row)',
  not_matched: 'no detection matched this athlete',
  after_end: 'track ended',
};

/** A sentence for the hover text: what the frame shows for this track and why it is not detected. */
export function describeCoverage(code: CoverCode, span: LostSpan | null): string {
  const what = code === COVER.detected ? 'detected' : code === COVER.held ? 'held (stale copy of the last detection)'
    : code === COVER.interpolated ? 'interpolated between detections' : 'missing';
  if (code === COVER.detected) return what;
  return span ? `${what}: ${REASON_TEXT[span.reason] ?? span.reason}` : what;
}

/** The lost span (from TrackStats) that contains `frame`, if any. */
export function lostSpanAt(stats: TrackStats | undefined, frame: number): LostSpan | null {
  if (!stats) return null;
  return stats.lost.find((s) => frame >= s.from && frame <= s.to) ?? null;
}
