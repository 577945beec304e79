'use client';

import { useEffect, useRef, useState } from 'react';
import type { FramesBody } from '@/lib/frames/api';
import { poseFrameFromJson } from '@/lib/frames/from-json';
import { decodePoseSequence } from '@/lib/pose/compact';
import type { PoseFrame, PoseSequence } from '@/lib/pose/types';
import { buildTrackTable, type TrackTable } from '@/lib/viewer/tracks';
import type { PlayerStats } from './stats';
import { useApiUrl } from '../apiUrl';

export interface PoseData {
  seq: PoseSequence;
  table: TrackTable;
  timestamps: Float64Array;
  /** frames 0..finalFrames-1 hold results; while the clip is processing the rest are placeholders (nobody in them) */
  finalFrames: number;
}

/**
 * What the player's poses need when the clip's count of final frames is `target` and the player holds
 * `have` final frames (null: nothing loaded yet): everything ('all': first load, or the count went DOWN,
 * i.e. a new attempt of the job started over and what the player holds is no longer the clip's), only
 * the new range ('range'), or nothing.
 */
export function nextPoseLoad(have: number | null, target: number): 'all' | 'range' | 'none' {
  if (have === null || target < have) return 'all';
  return target > have ? 'range' : 'none';
}

/** A request that failed for a reason that passes (a backing service restarting, a proxy, the network). */
class TransientError extends Error {}

const TRANSIENT_STATUS = new Set([502, 503, 504]);
/** waits before the retries of a transient failure: 1, 2, 4, 8, then every 10 s */
export function retryDelayMs(retry: number): number {
  return Math.min(10_000, 1000 * 2 ** retry);
}

async function failure(res: Response, what: string): Promise<Error> {
  const body = await res.json().catch(() => null);
  const message = (body as { error?: string } | null)?.error ?? `${what} request failed (${res.status})`;
  return TRANSIENT_STATUS.has(res.status) ? new TransientError(message) : new Error(message);
}

/** fetch, with a network failure (not an abort) counted as transient */
async function fetchOrTransient(url: string, signal: AbortSignal): Promise<Response> {
  try {
    return await fetch(url, { signal });
  } catch (e) {
    if (signal.aborted) throw e;
    throw new TransientError(`the server could not be reached (${e instanceof Error ? e.message : String(e)})`);
  }
}

/**
 * The clip's whole pose sequence, in ONE request (GET /api/clips/:id/poses, lib/pose/compact.ts).
 *
 * Results while tracking runs: `finalFrames` is the clip's count of final frames (from its `frames`
 * events). The first request gets every frame final so far and placeholders for the rest; each time
 * the count grows, only the new range is fetched (frames API, from/to) and put into the sequence the
 * player holds, in place of the placeholders (same frame count and timestamps, so playback goes on).
 * A count that shrinks (the job started over) reloads everything.
 * A transient failure (502/503/504, e.g. MongoDB or Redis restarting, or the network) is shown with the
 * server's message and retried by itself (retryDelayMs); other failures are shown and left.
 */
export function usePoseData(clipId: string, finalFrames: number, stats: PlayerStats): { data: PoseData | null; error: string | null } {
  const [state, setState] = useState<{ data: PoseData | null; error: string | null }>({ data: null, error: null });
  const api = useApiUrl();
  const wanted = useRef(finalFrames);
  wanted.current = finalFrames;
  const current = useRef<PoseData | null>(null);
  const running = useRef<Promise<void> | null>(null);
  const again = useRef(false);
  const [kick, setKick] = useState(0);
  const retries = useRef(0);
  // one controller per clip shown: requests are abandoned when the clip changes or the player goes, not
  // when the count changes (a range being fetched then is still wanted)
  const life = useRef<AbortController | null>(null);

  useEffect(() => {
    const ac = new AbortController();
    life.current = ac;
    current.current = null;
    retries.current = 0;
    setState({ data: null, error: null });
    return () => {
      ac.abort();
      life.current = null;
      running.current = null;
    };
  }, [clipId]);

  useEffect(() => {
    const abort = life.current;
    if (!abort) return;
    if (running.current) {
      again.current = true;
      return;
    }
    const publish = (data: PoseData) => {
      if (abort.signal.aborted) return;
      current.current = data;
      retries.current = 0;
      setState({ data, error: null });
    };

    const loadAll = async (): Promise<PoseData | null> => {
      const t0 = performance.now();
      const res = await fetchOrTransient(api(`/api/clips/${clipId}/poses`), abort.signal);
      if (res.status === 409) return null; // processing, nothing final yet: the next count change tries again
      if (!res.ok) throw await failure(res, 'poses');
      const bytes = new Uint8Array(await res.arrayBuffer());
      const t1 = performance.now();
      const seq = decodePoseSequence(bytes);
      const final = Number(res.headers.get('x-final-frames') ?? seq.frames.length);
      stats.posesBytes = bytes.byteLength;
      stats.posesFetchMs = t1 - t0;
      stats.decodeMs = performance.now() - t1;
      stats.personFrames = seq.frames.reduce((n, f) => n + f.persons.length, 0);
      return { seq, table: buildTrackTable(seq), timestamps: Float64Array.from(seq.frames, (f) => f.timestamp), finalFrames: final };
    };

    const loadRange = async (have: PoseData, to: number): Promise<PoseData> => {
      const fresh: PoseFrame[] = [];
      let from: number | null = have.finalFrames;
      while (from !== null && from <= to) {
        const res = await fetchOrTransient(api(`/api/clips/${clipId}/frames?from=${from}&to=${to}`), abort.signal);
        if (!res.ok) throw await failure(res, 'frames');
        const body = (await res.json()) as FramesBody;
        fresh.push(...body.frames.map(poseFrameFromJson));
        from = body.next_from;
      }
      // the sequence the player holds, with the placeholders of the new range replaced
      const frames = have.seq.frames.slice();
      for (const f of fresh) frames[f.frame_number] = f;
      const seq = { ...have.seq, frames };
      stats.personFrames += fresh.reduce((n, f) => n + f.persons.length, 0);
      return { seq, table: buildTrackTable(seq), timestamps: have.timestamps, finalFrames: have.finalFrames + fresh.length };
    };

    const sync = async () => {
      for (;;) {
        again.current = false;
        const have = current.current;
        const target = wanted.current;
        const next = nextPoseLoad(have?.finalFrames ?? null, target);
        if (next === 'all') {
          const data = await loadAll();
          if (data) publish(data);
          else {
            retries.current = 0;
            setState((s) => (s.error ? { data: s.data, error: null } : s)); // answered: nothing final yet
            if (!again.current) return;
          }
        } else if (next === 'range') {
          publish(await loadRange(have!, target - 1));
        } else if (!again.current) return;
        if (abort.signal.aborted) return;
      }
    };
    const run: Promise<void> = sync()
      .catch((e: unknown) => {
        if (abort.signal.aborted) return;
        const message = e instanceof Error ? e.message : String(e);
        if (!(e instanceof TransientError)) return setState((s) => ({ data: s.data, error: message }));
        // passes by itself: said, then tried again (the clip changing or the player going stops it)
        const wait = retryDelayMs(retries.current++);
        setState((s) => ({ data: s.data, error: `${message} Trying again in ${Math.round(wait / 1000)} s.` }));
        const timer = setTimeout(() => setKick((k) => k + 1), wait);
        abort.signal.addEventListener('abort', () => clearTimeout(timer), { once: true });
      })
      .finally(() => {
        if (running.current === run) running.current = null;
        // a count change that came in while this ran: go again
        if (!abort.signal.aborted && again.current) setKick((k) => k + 1);
      });
    running.current = run;
  }, [clipId, finalFrames, kick, stats, api]);
  return state;
}
