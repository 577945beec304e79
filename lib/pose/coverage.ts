/**
 * Per-track coverage of any PoseSequence (PHALP or CPU): how often each track was really detected,
 * held, interpolated or absent, and the spans in which it was lost, with why.
 *
 * Reasons of a lost span (LostSpan.reason), for frames where the track is not `detected`:
 * - 'before_confirmation': before the track's FIRST DETECTION. PHALP confirms a track only after a few
 *   consecutive detections and back-fills from there, so earlier frames simply have no track yet.
 * - 'after_end': after the LAST frame the track is present in (any state): the tracker dropped it.
 * - 'not_matched': everything in between: the track still existed but no detection was matched this
 *   frame, whether the frame shows a held copy, an interpolation or nothing. PHALP keeps ghosts for
 *   up to 50 frames after the last detection and then drops the track, so held frames at the END of a
 *   track are 'not_matched' (the tracker was still looking), and the frames after them 'after_end'.
 * A span is a maximal run of consecutive frames with the same reason and the same `shown_as`.
 */
import type { LostReason, LostSpan, PersonState, PoseSequence, TrackStats } from './types';

type Shown = PersonState | 'missing';

export function trackIds(seq: PoseSequence): number[] {
  const ids = new Set<number>();
  for (const f of seq.frames) for (const p of f.persons) ids.add(p.track_id);
  return [...ids].sort((a, b) => a - b);
}

export function computeTrackStats(seq: PoseSequence): TrackStats[] {
  return trackIds(seq).map((id) => trackStats(seq, id));
}

export function trackStats(seq: PoseSequence, trackId: number): TrackStats {
  const n = seq.frames.length;
  const shown: Shown[] = new Array(n);
  let detected = 0, held = 0, interpolated = 0, missing = 0;
  let confSum = 0, confN = 0, tcSum = 0, tcN = 0;
  let first = -1, last = -1, firstDetected = -1;
  for (let i = 0; i < n; i++) {
    const p = seq.frames[i].persons.find((q) => q.track_id === trackId);
    if (!p) {
      shown[i] = 'missing';
      missing++;
      continue;
    }
    shown[i] = p.state;
    if (first < 0) first = i;
    last = i;
    tcSum += p.tracking_confidence;
    tcN++;
    if (p.state === 'detected') {
      detected++;
      if (firstDetected < 0) firstDetected = i;
      if (p.confidence != null) {
        confSum += p.confidence;
        confN++;
      }
    } else if (p.state === 'held') held++;
    else interpolated++;
  }
  const reasonAt = (i: number): LostReason =>
    firstDetected < 0 || i < firstDetected ? (i > last ? 'after_end' : 'before_confirmation') : i > last ? 'after_end' : 'not_matched';
  // A track that was never detected has no confirmation: its frames before `last` count as before_confirmation.
  const lost: LostSpan[] = [];
  for (let i = 0; i < n; i++) {
    if (shown[i] === 'detected') continue;
    const shownAs = shown[i] as LostSpan['shown_as'];
    const reason = reasonAt(i);
    const prev = lost[lost.length - 1];
    if (prev && prev.to === i - 1 && prev.shown_as === shownAs && prev.reason === reason) prev.to = i;
    else lost.push({ from: i, to: i, shown_as: shownAs, reason });
  }
  return {
    track_id: trackId,
    first_frame: first,
    last_frame: last,
    detected,
    held,
    interpolated,
    missing,
    mean_confidence: confN ? confSum / confN : null,
    mean_tracking_confidence: tcN ? tcSum / tcN : null,
    lost,
  };
}
