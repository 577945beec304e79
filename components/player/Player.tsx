'use client';

import dynamic from 'next/dynamic';
import { useCallback, useEffect, useMemo, useState } from 'react';
import type { ClipDTO } from '@/lib/clips/types';
import { jointSet } from '@/lib/pose/joints';
import { TrackBodies } from '@/lib/viewer/bodies';
import { keyAction, PlaybackStore } from '@/lib/viewer/playback';
import { bodyJointCount, sceneFrame } from '@/lib/viewer/scene';
import { AnglesPanel } from './AnglesPanel';
import { Controls } from './Controls';
import { PlayerController } from './controller';
import { createStats } from './stats';
import { Timeline } from './Timeline';
import { TrackList } from './TrackList';
import { DownloadMenu } from '../clip/DownloadMenu';
import { useBodyModel } from './useBodyModel';
import { usePlayback } from './usePlayback';
import { useAngleSeries, usePoseAnalysis } from './usePoseAnalysis';
import { usePoseData } from './usePoseData';
import { projectedJoints, VideoPane } from './VideoPane';
import styles from './player.module.css';
import { useApiUrl } from '../apiUrl';

// three.js needs the browser: load the 3D view on the client only.
const loadViewer3D = () => import('./Viewer3D');
const Viewer3D = dynamic(() => loadViewer3D().then((m) => m.Viewer3D), {
  ssr: false,
  loading: () => <div className={styles.center}>Loading 3D view…</div>,
});

function bonesOf(name: string) {
  try {
    return jointSet(name).bones;
  } catch {
    return []; // an unknown joint set still shows its joints, without bones
  }
}

/**
 * Plays a clip: the source video and the 3D body side by side, frame-synced, with coverage and confidence.
 * While the clip is processing it plays the frames final so far (clip.finalFrames); new ones arrive
 * with the clip's events and are added in place, and the timeline shows the rest as "processing".
 */
export function Player({ clip }: { clip: ClipDTO }) {
  const stats = useMemo(() => createStats(), []);
  const api = useApiUrl();
  // Fetch the 3D view's code (three.js) while the poses download, not after: first frame sooner.
  useEffect(() => void loadViewer3D(), []);
  const { data, error } = usePoseData(clip.id, clip.finalFrames, stats);
  // frames from here on are placeholders still being tracked (null: every frame is final)
  const pendingFrom = data && data.finalFrames < data.seq.frames.length ? data.finalFrames : null;
  const body = useBodyModel(clip.hasSmpl);
  const frameCount = data?.seq.frames.length ?? clip.frameCount ?? 1;
  const fps = data?.seq.fps ?? clip.fps ?? 30;
  const store = useMemo(() => new PlaybackStore(frameCount), [frameCount]);
  const fallbackTimes = useMemo(() => Float64Array.from({ length: frameCount }, (_, i) => i / fps), [frameCount, fps]);
  const timestamps = data?.timestamps ?? fallbackTimes;
  const controller = useMemo(() => new PlayerController(store, timestamps, fps), [store, timestamps, fps]);
  // playback stops at the last final frame while the rest is tracked, and goes on as frames arrive
  useEffect(() => controller.setPendingFrom(pendingFrom), [controller, pendingFrom]);
  // Smoothed by default, computed here from the raw poses; the switch flips which sequence every view draws.
  const analysis = usePoseAnalysis(data?.seq ?? null, stats);
  const smoothedSeq = analysis.smoothed;
  const showSmoothed = usePlayback(store, (s) => s.smoothed) && smoothedSeq !== null;
  const shownSeq = data ? (showSmoothed ? smoothedSeq : data.seq) : null;
  const angleSeries = useAngleSeries(shownSeq, data?.table ?? null, stats);

  // Drift check, each time the video presents a frame while playing: by then the 3D view must show the
  // frame the video presented BEFORE this one (it had a whole video frame to catch up). Comparing with
  // the new frame instead would count the video's own dropped frames (a starved compositor presents
  // every few frames) as 3D drift.
  useEffect(() => {
    let previous = -1;
    controller.onPresented = (f) => {
      if (!store.get().playing || stats.renderedFrame < 0) {
        previous = -1;
        return;
      }
      if (previous >= 0) {
        stats.presentedFrames++;
        stats.maxDriftFrames = Math.max(stats.maxDriftFrames, Math.abs(previous - stats.renderedFrame));
        stats.maxVideoStep = Math.max(stats.maxVideoStep, f - previous);
      }
      previous = f;
    };
    return () => {
      controller.onPresented = null;
    };
  }, [controller, store, stats]);

  // The 3D view opens looking through the video camera when the runner gives one: the bodies appear where
  // and as big as in the video beside it, whatever their depth; the coach orbits or picks a preset from there.
  // (once: frames arriving while tracking runs must not undo the coach's own choice)
  const hasVideoCamera = !!data?.seq.intrinsics && data.seq.frames.some((f) => f.persons.some((p) => p.camera));
  useEffect(() => {
    if (hasVideoCamera) store.update({ preset: 'video' });
  }, [hasVideoCamera, store]);

  const bones = useMemo(() => (data ? bonesOf(data.seq.joint_set) : []), [data]);
  const jointCount = data ? bodyJointCount(data.seq.joint_set, data.seq.joint_names) : 0;
  const bodies = useMemo(() => (data ? new TrackBodies(data.seq, data.table, bones, body.forward) : null), [data, bones, body.forward]);
  const frame = useMemo(() => (data ? sceneFrame(data.seq, jointCount) : null), [data, jointCount]);

  // Both views call this before drawing; the buffers are filled once per frame/visibility change.
  const syncBodies = useMemo(() => {
    let key = '';
    return () => {
      if (!bodies) return;
      const s = store.get();
      // While playing, meshes skip SMPL's pose corrective shapes (frame budget); paused frames are exact.
      const k = `${s.frame}|${s.showMesh}|${s.playing}|${s.smoothed}|${[...s.hiddenTracks].join(',')}`;
      if (k === key) return;
      key = k;
      if (data) bodies.useSequence(s.smoothed && smoothedSeq ? smoothedSeq : data.seq);
      bodies.setFrame(s.frame, (id) => s.showMesh && !s.hiddenTracks.has(id), !s.playing);
    };
  }, [bodies, store, data, smoothedSeq]);

  const onKey = useCallback((e: KeyboardEvent) => {
    const target = e.target as HTMLElement | null;
    if (target && (target.tagName === 'INPUT' || target.tagName === 'SELECT' || target.tagName === 'TEXTAREA' || target.isContentEditable)) return;
    const action = keyAction(e);
    if (!action || e.ctrlKey || e.metaKey || e.altKey) return;
    e.preventDefault();
    if (action.type === 'toggle-play') controller.togglePlay();
    else if (action.type === 'step') controller.step(action.frames);
    else if (action.type === 'mark') store.setMark(action.which, store.get().frame);
    else controller.stepSpeed(action.direction);
  }, [controller, store]);
  useEffect(() => {
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onKey]);

  // Debug/test hook: what is on screen, in numbers (e2e tests and bench/player.bench.ts read it).
  useEffect(() => {
    const w = window as unknown as { __player?: unknown };
    w.__player = {
      frame: () => store.get().frame,
      videoFrame: () => controller.videoFrame(),
      state: () => store.get(),
      seek: (f: number) => controller.seekFrame(f),
      timestamps: () => Array.from(timestamps),
      loaded: () => data !== null,
      /** frames with results (the rest are still being tracked) */
      finalFrames: () => data?.finalFrames ?? 0,
      /** playback waits at the last final frame for more (processing clip) */
      waitingAtEdge: () => controller.isWaitingAtEdge(),
      /** the video element is loading a new source (the copy replacing the upload) */
      sourceLoading: () => controller.isReloading(),
      meshAvailable: () => bodies?.meshAvailable ?? false,
      /** video pixels of the drawn joints per track at the current frame */
      projectedJoints: () => {
        if (!data || !bodies) return {};
        syncBodies();
        return Object.fromEntries([...projectedJoints(data.seq, bodies)].map(([id, uv]) => [id, Array.from(uv)]));
      },
      /** the keypoints_2d per track at the current frame, of the sequence shown (raw as stored, or smoothed) */
      storedJoints2d: () => {
        const seq = store.get().smoothed && smoothedSeq ? smoothedSeq : data?.seq;
        return Object.fromEntries((seq?.frames[store.get().frame]?.persons ?? []).map((p) => [p.track_id, Array.from(p.keypoints_2d)]));
      },
      /** which sequence the views draw */
      shown: () => (store.get().smoothed && smoothedSeq ? 'smoothed' : 'raw'),
      /** coherence breaks found in the raw sequence */
      breaks: () => analysis.breaks,
      jointCount,
    };
  }, [store, controller, timestamps, data, bodies, syncBodies, jointCount, smoothedSeq, analysis]);

  const note = error
    ? `Poses unavailable: ${error}`
    : body.status === 'missing' && clip.hasSmpl
      ? `No body model on the server (${body.reason}); showing skeletons.`
      : body.status === 'error'
        ? `Body model could not be loaded (${body.reason}); showing skeletons.`
        : analysis.error
          ? `Smoothing failed (${analysis.error}); showing the raw poses.`
          : null;

  return (
    <section className={styles.player} aria-label="Clip player">
      {clip.status === 'processing' && (
        <div className={styles.processingNote} role="status" data-testid="final-frames" data-final={data?.finalFrames ?? 0} data-total={clip.frameCount ?? ''}>
          Tracking: {data?.finalFrames ?? 0} of {clip.frameCount ?? '?'} frames ready; the rest arrive as they are tracked.
        </div>
      )}
      <div className={styles.views}>
        {/* the upload until the copy for browsers exists (while tracking runs), then the copy: same frames, same times */}
        <VideoPane src={api(`/api/clips/${clip.id}/video${clip.playableCopy ? '?copy=1' : ''}`)} controller={controller} store={store} seq={data?.seq ?? null} bodies={bodies}
          bones={bones} faces={body.faces} syncBodies={syncBodies} stats={stats} />
        <div className={styles.pane} data-testid="viewer-canvas">
          <span className={styles.paneLabel}>3D · {data?.seq.runner === 'phalp' ? 'PHALP' : data ? 'CPU pose model' : '…'}</span>
          {data && bodies && frame ? (
            <div className={styles.canvasHost}>
              <Viewer3D seq={data.seq} bodies={bodies} bones={bones} jointCount={jointCount} faces={body.faces} store={store} stats={stats}
                frame={frame} syncBodies={syncBodies} />
            </div>
          ) : (
            <div className={`${styles.center} ${error ? styles.error : ''}`}>{error ? note : 'Loading poses…'}</div>
          )}
          {note && !error && <div className={styles.notice}>{note}</div>}
        </div>
      </div>
      <Controls store={store} controller={controller} timestamps={timestamps} frameCount={frameCount}
        meshAvailable={bodies?.meshAvailable ?? false} hasVideoCamera={data?.seq.intrinsics != null} smoothAvailable={smoothedSeq !== null} playerStats={stats} />
      {data && (
        <>
          <Timeline table={data.table} timestamps={timestamps} stats={clip.stats?.tracks ?? []} store={store} onSeek={(f) => controller.seekFrame(f)}
            breaks={analysis.breaks} playerStats={stats} pendingFrom={pendingFrom} />
          {angleSeries && <AnglesPanel store={store} table={data.table} series={angleSeries} onSeek={(f) => controller.seekFrame(f)} playerStats={stats} />}
          <TrackList table={data.table} stats={clip.stats?.tracks ?? []} store={store} />
          {pendingFrom === null && <DownloadMenu clipId={clip.id} store={store} trackIds={data.table.trackIds} smoothAvailable={smoothedSeq !== null} />}
        </>
      )}
    </section>
  );
}
