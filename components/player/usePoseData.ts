'use client';

import { useEffect, useState } from 'react';
import { decodePoseSequence } from '@/lib/pose/compact';
import type { PoseSequence } from '@/lib/pose/types';
import { buildTrackTable, type TrackTable } from '@/lib/viewer/tracks';
import type { PlayerStats } from './stats';
import { useApiUrl } from '../apiUrl';

export interface PoseData {
  seq: PoseSequence;
  table: TrackTable;
  timestamps: Float64Array;
}

/** The clip's whole pose sequence, in ONE request (GET /api/clips/:id/poses, lib/pose/compact.ts). */
export function usePoseData(clipId: string, stats: PlayerStats): { data: PoseData | null; error: string | null } {
  const [state, setState] = useState<{ data: PoseData | null; error: string | null }>({ data: null, error: null });
  const api = useApiUrl();
  useEffect(() => {
    const abort = new AbortController();
    (async () => {
      const t0 = performance.now();
      const res = await fetch(api(`/api/clips/${clipId}/poses`), { signal: abort.signal });
      if (!res.ok) {
        const body = await res.json().catch(() => null);
        throw new Error(body?.error ?? `poses request failed (${res.status})`);
      }
      const bytes = new Uint8Array(await res.arrayBuffer());
      const t1 = performance.now();
      const seq = decodePoseSequence(bytes);
      const table = buildTrackTable(seq);
      const timestamps = Float64Array.from(seq.frames, (f) => f.timestamp);
      stats.posesBytes = bytes.byteLength;
      stats.personFrames = seq.frames.reduce((n, f) => n + f.persons.length, 0);
      stats.posesFetchMs = t1 - t0;
      stats.decodeMs = performance.now() - t1;
      if (!abort.signal.aborted) setState({ data: { seq, table, timestamps }, error: null });
    })().catch((e: unknown) => {
      if (!abort.signal.aborted) setState({ data: null, error: e instanceof Error ? e.message : String(e) });
    });
    return () => abort.abort();
  }, [clipId, stats, api]);
  return state;
}
