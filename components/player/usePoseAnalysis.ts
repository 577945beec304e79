'use client';

import { useMemo, useRef } from 'react';
import { analyseSequence } from '@/lib/pose/analysis';
import type { CoherenceBreak } from '@/lib/pose/coherence';
import type { PoseSequence } from '@/lib/pose/types';
import { angleSeries, type AngleSeriesTable } from '@/lib/viewer/angleSeries';
import type { TrackTable } from '@/lib/viewer/tracks';
import type { PlayerStats } from './stats';

export interface PoseAnalysis {
  /** the zero-lag smoothed sequence (same layout as the raw one); null when smoothing failed */
  smoothed: PoseSequence | null;
  breaks: CoherenceBreak[];
  error: string | null;
}

/**
 * Smoothing and coherence breaks of the raw sequence, in the browser with the server's own module
 * (lib/pose/analysis.ts), once per clip: the poses payload stays raw, so the raw/smoothed switch is instant.
 */
export function usePoseAnalysis(raw: PoseSequence | null, stats: PlayerStats): PoseAnalysis {
  return useMemo(() => {
    if (!raw) return { smoothed: null, breaks: [], error: null };
    const t0 = performance.now();
    try {
      const { smoothed, analysis } = analyseSequence(raw);
      stats.analysisMs = performance.now() - t0;
      return { smoothed, breaks: analysis.tracks.flatMap((t) => t.breaks), error: null };
    } catch (e) {
      return { smoothed: null, breaks: [], error: e instanceof Error ? e.message : String(e) };
    }
  }, [raw, stats]);
}

/** Every angle of every track for the sequence shown; each sequence computed once and kept (switching back is free). */
export function useAngleSeries(seq: PoseSequence | null, table: TrackTable | null, stats: PlayerStats): AngleSeriesTable | null {
  const cache = useRef(new WeakMap<PoseSequence, AngleSeriesTable>());
  return useMemo(() => {
    if (!seq || !table) return null;
    let s = cache.current.get(seq);
    if (!s) {
      const t0 = performance.now();
      s = angleSeries(seq, table);
      stats.angleSeriesMs = performance.now() - t0;
      cache.current.set(seq, s);
    }
    return s;
  }, [seq, table, stats]);
}
