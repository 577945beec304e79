'use client';

import { useEffect, useRef, useSyncExternalStore } from 'react';
import type { PlaybackState, PlaybackStore } from '@/lib/viewer/playback';

/**
 * One value of the playback state. The component re-renders only when THAT value changes, not on
 * every frame of playback: `select` must return a primitive or a reference the store keeps (e.g.
 * hiddenTracks), never a new object.
 */
export function usePlayback<T>(store: PlaybackStore, select: (s: PlaybackState) => T): T {
  const get = () => select(store.get());
  return useSyncExternalStore(store.subscribe, get, get);
}

/**
 * Calls `apply(frame)` on every frame change outside React (no re-render): for cursors and
 * readouts that move 30-60 times a second during playback.
 */
export function useFrameEffect(store: PlaybackStore, apply: (frame: number) => void): void {
  const applyRef = useRef(apply);
  applyRef.current = apply;
  useEffect(() => {
    let last = -1;
    const run = () => {
      const f = store.get().frame;
      if (f === last) return;
      last = f;
      applyRef.current(f);
    };
    run();
    return store.subscribe(run);
  }, [store]);
}
