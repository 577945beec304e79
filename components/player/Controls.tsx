'use client';

import { useRef } from 'react';
import { formatTime } from '@/lib/viewer/frameTime';
import { SPEEDS, type CameraPreset, type PlaybackStore } from '@/lib/viewer/playback';
import type { PlayerController } from './controller';
import { SmoothToggle } from './SmoothToggle';
import type { PlayerStats } from './stats';
import { useFrameEffect, usePlayback } from './usePlayback';
import styles from './player.module.css';

interface Props {
  store: PlaybackStore;
  controller: PlayerController;
  timestamps: ArrayLike<number>;
  frameCount: number;
  meshAvailable: boolean;
  hasVideoCamera: boolean;
  /** the smoothed sequence is ready (the Raw/Smoothed switch works) */
  smoothAvailable?: boolean;
  playerStats?: PlayerStats;
}

/** Transport (Kinovea/Dartfish keys), speed, loop marks, frame/time readout, view toggles. */
export function Controls({ store, controller, timestamps, frameCount, meshAvailable, hasVideoCamera, smoothAvailable = false, playerStats }: Props) {
  // Everything but the frame: the bar re-renders on a click, not on every frame of playback.
  const s = {
    playing: usePlayback(store, (x) => x.playing),
    speed: usePlayback(store, (x) => x.speed),
    loopIn: usePlayback(store, (x) => x.loopIn),
    loopOut: usePlayback(store, (x) => x.loopOut),
    showMesh: usePlayback(store, (x) => x.showMesh),
    showSkeleton: usePlayback(store, (x) => x.showSkeleton),
    showOverlay: usePlayback(store, (x) => x.showOverlay),
    preset: usePlayback(store, (x) => x.preset),
  };
  if (playerStats) playerStats.controlsRenders++;
  const frameNow = () => store.get().frame;
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
        <button className={`${styles.btn} ${s.loopIn !== null ? styles.on : ''}`} onClick={() => store.setMark('in', frameNow())} title="Loop in at this frame ([)">[ In{s.loopIn !== null ? ` ${s.loopIn}` : ''}</button>
        <button className={`${styles.btn} ${s.loopOut !== null ? styles.on : ''}`} onClick={() => store.setMark('out', frameNow())} title="Loop out at this frame (])">Out{s.loopOut !== null ? ` ${s.loopOut}` : ''} ]</button>
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
      <SmoothToggle store={store} available={smoothAvailable} />
      <div className={styles.group} role="group" aria-label="3D camera">
        <span className={styles.label}>View</span>
        {presets.map(([p, label]) => (
          <button key={p} className={`${styles.chip} ${s.preset === p ? styles.on : ''}`} aria-pressed={s.preset === p} onClick={() => store.update({ preset: p })} data-testid={`preset-${p}`}>{label}</button>
        ))}
      </div>
      <Readout store={store} timestamps={timestamps} frameCount={frameCount} />
    </div>
  );
}

/** Frame counter and time, written to the DOM on every frame change without a React render. */
function Readout({ store, timestamps, frameCount }: { store: PlaybackStore; timestamps: ArrayLike<number>; frameCount: number }) {
  const frameRef = useRef<HTMLElement>(null);
  const timeRef = useRef<HTMLElement>(null);
  useFrameEffect(store, (f) => {
    if (frameRef.current) frameRef.current.textContent = String(f);
    if (timeRef.current) timeRef.current.textContent = formatTime(timestamps[f] ?? 0);
  });
  const f = store.get().frame;
  return (
    <div className={styles.readout}>
      <span><span className={styles.label}>Frame </span><b ref={frameRef} data-testid="frame-counter">{f}</b><span className={styles.label}> / {frameCount - 1}</span></span>
      <span><span className={styles.label}>Time </span><b ref={timeRef} data-testid="time-readout">{formatTime(timestamps[f] ?? 0)}</b></span>
    </div>
  );
}
