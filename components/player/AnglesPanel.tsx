'use client';

import { useMemo } from 'react';
import { ANGLE_DEFS } from '@/lib/pose/angles';
import { availableAngles, type AngleSeriesTable } from '@/lib/viewer/angleSeries';
import { trackColor } from '@/lib/viewer/colors';
import type { PlaybackStore } from '@/lib/viewer/playback';
import type { TrackTable } from '@/lib/viewer/tracks';
import { AngleChart, type AngleCurve } from './AngleChart';
import type { PlayerStats } from './stats';
import { usePlayback } from './usePlayback';
import styles from './player.module.css';

interface Props {
  store: PlaybackStore;
  table: TrackTable;
  /** every angle of every track, from the sequence shown (raw or smoothed) */
  series: AngleSeriesTable;
  onSeek: (frame: number) => void;
  playerStats?: PlayerStats;
}

/**
 * Joint angles over time: pick angles and athletes; one chart per angle, cursor locked to the video,
 * values at the current frame, min / max / range inside the loop. Re-renders on picks, loop marks and
 * the raw/smoothed switch, never on playback frames.
 */
export function AnglesPanel({ store, table, series, onSeek, playerStats }: Props) {
  const picked = usePlayback(store, (s) => s.angles);
  const pickedTracks = usePlayback(store, (s) => s.angleTracks) ?? table.trackIds;
  const loopIn = usePlayback(store, (s) => s.loopIn);
  const loopOut = usePlayback(store, (s) => s.loopOut);
  if (playerStats) playerStats.anglesRenders++;
  const F = table.frameCount;
  const available = useMemo(() => availableAngles(series), [series]);
  const shown = available.filter((d) => picked.includes(d.name));
  const looping = loopIn !== null || loopOut !== null;
  const range = useMemo<[number, number]>(() => [loopIn ?? 0, loopOut ?? F - 1], [loopIn, loopOut, F]);
  const tracksKey = pickedTracks.join(',');
  const curvesByAngle = useMemo(() => {
    const ids = tracksKey ? tracksKey.split(',').map(Number) : [];
    return new Map(ANGLE_DEFS.map((d) => [d.name, ids.filter((id) => series.has(id)).map((id): AngleCurve => ({
      trackId: id, series: series.get(id)!.get(d.name)!, coverage: table.coverage.get(id)!,
    }))]));
  }, [series, table, tracksKey]);

  return (
    <section className={styles.angles} data-testid="angles-panel" aria-label="Joint angles">
      <div className={styles.anglesHead}>
        <h3 className={styles.anglesTitle}>Angles</h3>
        <div className={styles.anglePicks} role="group" aria-label="Angles to show">
          {available.map((d) => (
            <label key={d.name} className={`${styles.pick} ${picked.includes(d.name) ? styles.on : ''}`} title={d.description}>
              <input type="checkbox" checked={picked.includes(d.name)} onChange={() => store.toggleAngle(d.name)} data-testid={`angle-pick-${d.name}`} />
              {d.label}
            </label>
          ))}
        </div>
        <div className={styles.anglePicks} role="group" aria-label="Athletes">
          {table.trackIds.map((id) => (
            <label key={id} className={`${styles.pick} ${pickedTracks.includes(id) ? styles.on : ''}`}>
              <input type="checkbox" checked={pickedTracks.includes(id)} onChange={() => store.toggleAngleTrack(id, table.trackIds)} data-testid={`angle-athlete-${id}`} />
              <i className={styles.swatch} style={{ background: trackColor(id) }} />Athlete {id}
            </label>
          ))}
        </div>
      </div>
      {available.length === 0 ? (
        <p className={styles.muted}>No joint angle can be computed from this clip&apos;s joints.</p>
      ) : shown.length === 0 ? (
        <p className={styles.muted}>Pick an angle above to chart it.</p>
      ) : (
        shown.map((d) => (
          <AngleChart key={d.name} def={d} curves={curvesByAngle.get(d.name)!} frameCount={F} store={store} range={range} looping={looping} onSeek={onSeek} />
        ))
      )}
      <div className={styles.legend} data-testid="angles-legend">
        <span><svg width="22" height="8"><line x1="0" x2="22" y1="4" y2="4" stroke="#e6ebf2" strokeWidth="2" /></svg>detected frames</span>
        <span><svg width="22" height="8"><line x1="0" x2="22" y1="4" y2="4" stroke="#e6ebf2" strokeWidth="1.5" strokeDasharray="4 4" opacity="0.5" /></svg>held / interpolated (not measured at that frame)</span>
        <span><i className={`${styles.lowValiditySwatch}`} />low validity: a limb points along the camera&apos;s line of sight, so its direction comes mostly from estimated depth (values marked ≈)</span>
        <span>min / max / range over detected frames {looping ? 'inside the loop In–Out' : 'of the whole clip (set loop marks with [ and ])'}</span>
        <span>Arcs with values are drawn on the body when paused</span>
      </div>
    </section>
  );
}
