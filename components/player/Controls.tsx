'use client';

import { useSyncExternalStore } from 'react';
import { formatTime } from '@/lib/viewer/frameTime';
import { SPEEDS, type CameraPreset, type PlaybackStore } from '@/lib/viewer/playback';
import type { PlayerController } from './controller';
import styles from './player.module.css';

interface Props {
  store: PlaybackStore;
  controller: PlayerController;
  timestamps: ArrayLike<number>;
  frameCount: number;
  meshAvailable: boolean;
  hasVideoCamera: boolean;
}

/** Transport (Kinovea/Dartfish keys), speed, loop marks, frame/time readout, view toggles. */
export function Controls({ store, controller, timestamps, frameCount, meshAvailable, hasVideoCamera }: Props) {
  const s = useSyncExternalStore(store.subscribe, store.get, store.get);
  const toggle = (key: 'showMesh' | 'showSkeleton' | 'showOverlay') => store.update({ [key]: !s[key] });
  const presets: [CameraPreset, string][] = [['front', 'Front'], ['side', 'Side'], ['top', 'Top']];
  if (hasVideoCamera) presets.push(['video', 'Video camera']);
  return (
    <div className={styles.bar} role="toolbar" aria-label="Playback">
      <div className={styles.group}>
        <button className={styles.btn} onClick={() => controller.step(-10)} title="Back 10 frames (Shift+←)" aria-label="Back 10 frames">«10</button>
        <button className={styles.btn} onClick={() => controller.step(-1)} title="Back 1 frame (←)" aria-label="Back 1 frame">‹1</button>
        <button className={`${styles.btn} ${styles.primary}`} onClick={() => controller.togglePlay()} title="Play / pause (Space)" data-testid="play-toggle">
          {s.playing ? '❚❚ Pause' : '▶ Play'}
        </button>
        <button className={styles.btn} onClick={() => controller.step(1)} title="Forward 1 frame (→)" aria-label="Forward 1 frame">1›</button>
        <button className={styles.btn} onClick={() => controller.step(10)} title="Forward 10 frames (Shift+→)" aria-label="Forward 10 frames">10»</button>
      </div>
      <div className={styles.sep} />
      <label className={styles.group}>
        <span className={styles.label}>Speed</span>
        <select className={styles.select} value={s.speed} onChange={(e) => controller.setSpeed(Number(e.target.value))} data-testid="speed">
          {SPEEDS.map((v) => <option key={v} value={v}>{v}×</option>)}
        </select>
      </label>
      <div className={styles.sep} />
      <div className={styles.group}>
        <button className={`${styles.btn} ${s.loopIn !== null ? styles.on : ''}`} onClick={() => store.setMark('in', s.frame)} title="Loop in at this frame ([)">[ In{s.loopIn !== null ? ` ${s.loopIn}` : ''}</button>
        <button className={`${styles.btn} ${s.loopOut !== null ? styles.on : ''}`} onClick={() => store.setMark('out', s.frame)} title="Loop out at this frame (])">Out{s.loopOut !== null ? ` ${s.loopOut}` : ''} ]</button>
        {(s.loopIn !== null || s.loopOut !== null) && (
          <button className={styles.chip} onClick={() => store.update({ loopIn: null, loopOut: null })} title="Clear the loop">Clear loop</button>
        )}
      </div>
      <div className={styles.sep} />
      <div className={styles.group} role="group" aria-label="Show">
        {meshAvailable && <button className={`${styles.chip} ${s.showMesh ? styles.on : ''}`} aria-pressed={s.showMesh} onClick={() => toggle('showMesh')}>Mesh</button>}
        <button className={`${styles.chip} ${s.showSkeleton ? styles.on : ''}`} aria-pressed={s.showSkeleton} onClick={() => toggle('showSkeleton')}>Skeleton</button>
        <button className={`${styles.chip} ${s.showOverlay ? styles.on : ''}`} aria-pressed={s.showOverlay} onClick={() => toggle('showOverlay')} data-testid="overlay-toggle">Overlay</button>
      </div>
      <div className={styles.group} role="group" aria-label="3D camera">
        <span className={styles.label}>View</span>
        {presets.map(([p, label]) => (
          <button key={p} className={`${styles.chip} ${s.preset === p ? styles.on : ''}`} aria-pressed={s.preset === p} onClick={() => store.update({ preset: p })} data-testid={`preset-${p}`}>{label}</button>
        ))}
      </div>
      <div className={styles.readout}>
        <span><span className={styles.label}>Frame </span><b data-testid="frame-counter">{s.frame}</b><span className={styles.label}> / {frameCount - 1}</span></span>
        <span><span className={styles.label}>Time </span><b data-testid="time-readout">{formatTime(timestamps[s.frame] ?? 0)}</b></span>
      </div>
    </div>
  );
}
