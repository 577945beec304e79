'use client';

import type { TrackStats } from '@/lib/pose/types';
import { trackColor } from '@/lib/viewer/colors';
import type { PlaybackStore } from '@/lib/viewer/playback';
import type { TrackTable } from '@/lib/viewer/tracks';
import { usePlayback } from './usePlayback';
import styles from './player.module.css';

/** The people in the clip: colour, coverage, show/hide, focus (the 3D camera follows the athlete). */
export function TrackList({ table, stats, store }: { table: TrackTable; stats: TrackStats[]; store: PlaybackStore }) {
  const s = { hiddenTracks: usePlayback(store, (x) => x.hiddenTracks), focusTrack: usePlayback(store, (x) => x.focusTrack) };
  const byId = new Map(stats.map((t) => [t.track_id, t]));
  if (table.trackIds.length === 0) return <div className={styles.tracks} data-testid="track-list">Nobody was detected in this clip.</div>;
  return (
    <div className={styles.tracks} data-testid="track-list">
      {table.trackIds.map((id) => {
        const st = byId.get(id);
        const codes = table.coverage.get(id)!;
        let detected = 0;
        for (const c of codes) if (c === 1) detected++;
        const hidden = s.hiddenTracks.has(id);
        const focused = s.focusTrack === id;
        return (
          <div key={id} className={`${styles.track} ${hidden ? styles.trackHidden : ''} ${focused ? styles.trackFocus : ''}`} data-track={id}>
            <i className={styles.swatch} style={{ background: trackColor(id), width: 14, height: 14 }} />
            <div>
              <div className={styles.trackName}>Athlete {id}</div>
              <div className={styles.trackMeta}>
                detected {Math.round((100 * detected) / Math.max(1, codes.length))}% of frames
                {st?.mean_confidence != null ? ` · score ${(st.mean_confidence * 100).toFixed(0)}%` : ''}
              </div>
            </div>
            <button className={`${styles.chip} ${!hidden ? styles.on : ''}`} aria-pressed={!hidden} onClick={() => store.toggleTrack(id)} title={hidden ? 'Show' : 'Hide'}>
              {hidden ? 'Show' : 'Visible'}
            </button>
            <button className={`${styles.chip} ${focused ? styles.on : ''}`} aria-pressed={focused} disabled={hidden}
              onClick={() => store.update({ focusTrack: focused ? null : id })} title="The 3D camera follows this athlete">
              {focused ? 'Following' : 'Follow'}
            </button>
          </div>
        );
      })}
    </div>
  );
}
