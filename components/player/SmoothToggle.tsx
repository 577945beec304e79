'use client';

import type { PlaybackStore } from '@/lib/viewer/playback';
import { usePlayback } from './usePlayback';
import styles from './player.module.css';

/**
 * Raw / Smoothed: which pose sequence the 3D view, the overlay and the angles show. Smoothed is the
 * zero-lag smoothing of the runner's output (lib/pose/smooth.ts), computed in the browser; raw is
 * exactly what the runner stored. `aria-pressed` is true while Smoothed is shown.
 */
export function SmoothToggle({ store, available }: { store: PlaybackStore; available: boolean }) {
  const smoothed = usePlayback(store, (s) => s.smoothed) && available;
  return (
    <button
      className={styles.switch}
      aria-pressed={smoothed}
      disabled={!available}
      onClick={() => store.update({ smoothed: !smoothed })}
      data-testid="smooth-toggle"
      title={available
        ? 'Smoothed: zero-lag two-sided smoothing of each track (no frame invented, raw results kept). Raw: exactly what the pose runner produced.'
        : 'Smoothing unavailable for this clip: showing the raw poses'}
    >
      <span className={smoothed ? '' : styles.switchOn}>Raw</span>
      <span className={smoothed ? styles.switchOn : ''}>Smoothed</span>
    </button>
  );
}
