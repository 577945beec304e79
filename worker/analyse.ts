import type { Logger } from '../lib/log';
import { analyseSequence, type SequenceAnalysis } from '../lib/pose/analysis';
import type { PoseSequence } from '../lib/pose/types';

/** Coherence breaks logged one per line up to this many per clip; the rest are counted in the summary. */
const MAX_BREAK_LINES = 50;

/**
 * The clip's coaching analysis for its stats (lib/pose/analysis.ts): jitter raw vs smoothed per track and
 * the coherence breaks, which are logged here (one warn line each, then a summary). The smoothed sequence
 * is not kept: stored frames stay exactly as the runner produced them.
 */
export function analyseClip(clipId: string, sequence: PoseSequence, log: Logger): SequenceAnalysis {
  const t0 = performance.now();
  const { analysis } = analyseSequence(sequence);
  const breaks = analysis.tracks.flatMap((t) => t.breaks).sort((a, b) => a.frame - b.frame || a.track_id - b.track_id);
  for (const b of breaks.slice(0, MAX_BREAK_LINES)) log.warn('analysis.coherence-break', { clipId, ...b });
  const byReason: Record<string, number> = {};
  for (const b of breaks) byReason[b.reason] = (byReason[b.reason] ?? 0) + 1;
  log.info('analysis.done', {
    clipId,
    ms: Math.round(performance.now() - t0),
    breaks: byReason,
    breaksNotLogged: Math.max(0, breaks.length - MAX_BREAK_LINES),
    tracks: analysis.tracks.map((t) => ({ track_id: t.track_id, jitter_raw: t.jitter_raw, jitter_smoothed: t.jitter_smoothed, breaks: t.breaks.length })),
  });
  return analysis;
}
