'use client';

import { useMemo, useState } from 'react';
import { ANGLE_DEFS } from '@/lib/pose/angles';
import { trackColor } from '@/lib/viewer/colors';
import type { PlaybackStore } from '@/lib/viewer/playback';
import { useApiUrl } from '../apiUrl';
import { usePlayback } from '../player/usePlayback';
import { exportUrl } from './exportUrl';
import { Mp4Render } from './Mp4Render';
import styles from './download.module.css';

/**
 * The clip page's Download menu: the same choices as GET /api/clips/:id/export (lib/export): format,
 * the whole clip or the player's In–Out loop, which athletes, raw or smoothed values. The link is a
 * plain download (the server streams the file and names it); share viewers' links carry their token.
 * MP4 is rendered by a worker first: Mp4Render shows its progress, then offers the file.
 */
export const DOWNLOAD_FORMATS = [
  { id: 'csv', label: 'CSV', hint: 'a spreadsheet: one row per athlete and frame, joints in pixels and metres, joint angles' },
  { id: 'json', label: 'JSON', hint: 'the frames API document for the range: every field, joint angles' },
  { id: 'bvh', label: 'BVH', hint: 'skeleton animation for Blender, Maya, MotionBuilder (several athletes: a zip)' },
  { id: 'glb', label: 'glTF (GLB)', hint: 'a 3D scene: animated skeletons, and the SMPL body mesh where the server has the model' },
  { id: 'mp4', label: 'Video (MP4)', hint: 'the video with the skeletons drawn on it (over a body silhouette for PHALP results where the server has the SMPL model; skeletons only otherwise), frame number and time, to send to an athlete (rendered on the server first)' },
] as const;

const ANGLE_LABELS = new Map(ANGLE_DEFS.map((d) => [d.name, d.label]));

export function DownloadMenu({ clipId, store, trackIds, smoothAvailable }: { clipId: string; store: PlaybackStore; trackIds: readonly number[]; smoothAvailable: boolean }) {
  const api = useApiUrl();
  const loopIn = usePlayback(store, (s) => s.loopIn);
  const loopOut = usePlayback(store, (s) => s.loopOut);
  const playerSmoothed = usePlayback(store, (s) => s.smoothed);
  const pickedAngles = usePlayback(store, (s) => s.angles);
  const [withAngles, setWithAngles] = useState(true);
  const [format, setFormat] = useState<string>('csv');
  const [useLoop, setUseLoop] = useState(true);
  const [unchecked, setUnchecked] = useState<ReadonlySet<number>>(new Set());
  const [smoothChoice, setSmoothChoice] = useState<boolean | null>(null); // null: as the player shows it

  const hasLoop = loopIn !== null && loopOut !== null;
  const range: [number, number] | null = hasLoop && useLoop ? [loopIn, loopOut] : null;
  const chosen = trackIds.filter((t) => !unchecked.has(t));
  const smooth = smoothAvailable && (smoothChoice ?? playerSmoothed);
  const angles = format === 'mp4' && withAngles ? pickedAngles : [];
  const href = useMemo(
    () => api(exportUrl(clipId, { format, range, tracks: chosen.length === trackIds.length ? null : chosen, smooth, angles })),
    [api, clipId, format, range?.[0], range?.[1], chosen.join(','), trackIds.length, smooth, angles.join(',')], // eslint-disable-line react-hooks/exhaustive-deps
  );
  const toggle = (t: number) =>
    setUnchecked((prev) => {
      const next = new Set(prev);
      if (next.has(t)) next.delete(t);
      else next.add(t);
      return next;
    });
  const fmt = DOWNLOAD_FORMATS.find((f) => f.id === format)!;
  const nobody = trackIds.length === 0 || chosen.length === 0;

  return (
    <details className={styles.menu} data-testid="download-menu">
      <summary>Download…</summary>
      <div className={styles.body}>
        <span className={styles.label}>Format</span>
        <div className={styles.choices}>
          <select value={format} onChange={(e) => setFormat(e.target.value)} data-testid="download-format" aria-label="Format">
            {DOWNLOAD_FORMATS.map((f) => (
              <option key={f.id} value={f.id}>
                {f.label}
              </option>
            ))}
          </select>
        </div>
        <span className={styles.hint}>{fmt.hint}</span>

        <span className={styles.label}>Frames</span>
        <div className={styles.choices}>
          <label>
            <input type="radio" name="download-range" checked={!range} onChange={() => setUseLoop(false)} data-testid="download-range-whole" /> Whole clip
          </label>
          <label title={hasLoop ? '' : 'Set In and Out on the timeline first'}>
            <input type="radio" name="download-range" checked={!!range} disabled={!hasLoop} onChange={() => setUseLoop(true)} data-testid="download-range-loop" />
            {hasLoop ? ` Loop, frames ${loopIn}–${loopOut}` : ' Loop (set In and Out first)'}
          </label>
        </div>

        <span className={styles.label}>Athletes</span>
        <div className={styles.choices}>
          {trackIds.length === 0 && <span className={styles.hint}>Nobody was detected in this clip.</span>}
          {trackIds.map((t) => (
            <label key={t}>
              <input type="checkbox" checked={!unchecked.has(t)} onChange={() => toggle(t)} data-testid={`download-athlete-${t}`} />
              <i className={styles.swatch} style={{ background: trackColor(t) }} /> Athlete {t}
            </label>
          ))}
        </div>

        <span className={styles.label}>Values</span>
        <div className={styles.choices}>
          <label>
            <input type="radio" name="download-smooth" checked={!smooth} onChange={() => setSmoothChoice(false)} data-testid="download-raw" /> Raw
          </label>
          <label title={smoothAvailable ? '' : 'Smoothing is not available for this clip'}>
            <input type="radio" name="download-smooth" checked={smooth} disabled={!smoothAvailable} onChange={() => setSmoothChoice(true)} data-testid="download-smoothed" /> Smoothed
          </label>
        </div>

        {format === 'mp4' && (
          <>
            <span className={styles.label}>On the video</span>
            <div className={styles.choices}>
              <label title={pickedAngles.length ? '' : 'Pick angles in the Angles panel first'}>
                <input type="checkbox" checked={withAngles && pickedAngles.length > 0} disabled={pickedAngles.length === 0} onChange={(e) => setWithAngles(e.target.checked)} data-testid="download-mp4-angles" />{' '}
                {pickedAngles.length ? `Angles: ${pickedAngles.map((a) => ANGLE_LABELS.get(a) ?? a).join(', ')}` : 'Angles (none picked in the Angles panel)'}
              </label>
            </div>
          </>
        )}

        <div className={styles.go}>
          {format === 'mp4' ? (
            <Mp4Render href={href} disabled={nobody} />
          ) : (
            <a className={styles.link} href={nobody ? undefined : href} download aria-disabled={nobody} data-testid="download-link">
              Download {fmt.label}
            </a>
          )}
          {nobody && trackIds.length > 0 && <span className={styles.hint}>Choose at least one athlete.</span>}
        </div>
      </div>
    </details>
  );
}
