'use client';

import { useEffect, useLayoutEffect, useRef } from 'react';
import type { PoseSequence } from '@/lib/pose/types';
import { STATE_OPACITY, trackColor } from '@/lib/viewer/colors';
import { containRect, videoToElement } from '@/lib/viewer/projection';
import { projectThreePoint, type TrackBodies } from '@/lib/viewer/bodies';
import type { PlaybackStore } from '@/lib/viewer/playback';
import type { PlayerController } from './controller';
import { drawOverlayArcs } from './overlayArcs';
import { pushSample, type PlayerStats } from './stats';
import styles from './player.module.css';

interface Props {
  src: string;
  controller: PlayerController;
  store: PlaybackStore;
  seq: PoseSequence | null;
  bodies: TrackBodies | null;
  bones: readonly (readonly [number, number])[];
  faces: Uint32Array | null;
  /** keeps the bodies' buffers at the store's frame (shared with the 3D view) */
  syncBodies: () => void;
  stats: PlayerStats;
}

/**
 * Projected joints of every drawn track at the current frame, in VIDEO pixels (J*2 per track):
 * with the PHALP camera for 3D results, the stored 2D keypoints otherwise.
 */
export function projectedJoints(seq: PoseSequence, bodies: TrackBodies): Map<number, Float32Array> {
  const out = new Map<number, Float32Array>();
  const k = seq.intrinsics;
  for (const body of bodies.tracks.values()) {
    const p = body.person;
    if (!p) continue;
    if (k && p.camera) {
      const J = seq.joint_names.length;
      const uv = new Float32Array(J * 2);
      for (let j = 0; j < J; j++) {
        const [u, v] = projectThreePoint(body.joints[3 * j], body.joints[3 * j + 1], body.joints[3 * j + 2], k);
        uv[2 * j] = u;
        uv[2 * j + 1] = v;
      }
      out.set(body.trackId, uv);
    } else {
      out.set(body.trackId, p.keypoints_2d);
    }
  }
  return out;
}

/** The source video with a 2D canvas over it drawing the skeleton (and mesh silhouette) on the picture. */
export function VideoPane({ src, controller, store, seq, bodies, bones, faces, syncBodies, stats }: Props) {
  const videoRef = useRef<HTMLVideoElement>(null);
  const canvasRef = useRef<HTMLCanvasElement>(null);

  useEffect(() => {
    const v = videoRef.current;
    if (!v) return;
    controller.attach(v);
    return () => controller.dispose();
  }, [controller]);

  // A new source (the copy for browsers replacing the upload while tracking runs): the same frame, and
  // playing again if it played (controller.sourceChanging). Before the element reloads (layout effect:
  // before its events run).
  const shownSrc = useRef(src);
  useLayoutEffect(() => {
    const v = videoRef.current;
    if (!v || shownSrc.current === src) return;
    shownSrc.current = src;
    const loaded = controller.sourceChanging();
    // also when the new source fails to load: the player must not stay waiting for it
    const restore = () => {
      v.removeEventListener('loadeddata', restore);
      v.removeEventListener('error', restore);
      loaded();
    };
    v.addEventListener('loadeddata', restore);
    v.addEventListener('error', restore);
    return () => {
      v.removeEventListener('loadeddata', restore);
      v.removeEventListener('error', restore);
    };
  }, [src, controller, store]);

  useEffect(() => {
    const canvas = canvasRef.current;
    const video = videoRef.current;
    if (!canvas || !video) return;
    let screen = new Float32Array(0); // projected mesh vertices, CSS pixels; grown once, reused
    const draw = () => {
      const ctx = canvas.getContext('2d');
      if (!ctx) return;
      const dpr = window.devicePixelRatio || 1;
      const w = canvas.clientWidth, h = canvas.clientHeight;
      if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
        canvas.width = Math.round(w * dpr);
        canvas.height = Math.round(h * dpr);
      }
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      ctx.clearRect(0, 0, w, h);
      const state = store.get();
      if (!seq || !bodies || !state.showOverlay) return;
      syncBodies();
      const t0 = performance.now();
      // Video pixels -> CSS pixels of the element; the picture is letterboxed (object-fit: contain).
      const rect = containRect(w, h, seq.width, seq.height);
      const projected = projectedJoints(seq, bodies);
      const k = seq.intrinsics;
      for (const body of bodies.tracks.values()) {
        const p = body.person;
        if (!p || state.hiddenTracks.has(body.trackId)) continue;
        const color = trackColor(body.trackId);
        ctx.globalAlpha = STATE_OPACITY[p.state];
        // The silhouette (27k triangles a person) only on a paused picture: too slow for every frame of playback.
        if (!state.playing && state.showMesh && body.hasMesh && body.vertices && faces && k) {
          // Mesh silhouette: every projected triangle in one path, all given the same winding. With
          // their own winding, a closed mesh's front and back faces cancel under the nonzero rule and
          // the inside of the body stays empty.
          const vtx = body.vertices;
          const n = vtx.length / 3;
          if (screen.length < 2 * n) screen = new Float32Array(2 * n);
          for (let i = 0; i < n; i++) {
            const [u, v] = projectThreePoint(vtx[3 * i], vtx[3 * i + 1], vtx[3 * i + 2], k);
            screen[2 * i] = rect.left + u * rect.scale;
            screen[2 * i + 1] = rect.top + v * rect.scale;
          }
          ctx.beginPath();
          for (let t = 0; t < faces.length; t += 3) {
            const a = 2 * faces[t], b = 2 * faces[t + 1], c = 2 * faces[t + 2];
            const ax = screen[a], ay = screen[a + 1];
            const cross = (screen[b] - ax) * (screen[c + 1] - ay) - (screen[b + 1] - ay) * (screen[c] - ax);
            if (!(Math.abs(cross) > 1e-3)) continue; // edge-on or not finite: covers nothing
            const [p, q] = cross > 0 ? [b, c] : [c, b];
            ctx.moveTo(ax, ay);
            ctx.lineTo(screen[p], screen[p + 1]);
            ctx.lineTo(screen[q], screen[q + 1]);
            ctx.closePath();
          }
          ctx.fillStyle = color;
          const a = ctx.globalAlpha;
          ctx.globalAlpha = a * 0.28;
          ctx.fill('nonzero');
          ctx.globalAlpha = a;
        }
        const uv = projected.get(body.trackId)!;
        ctx.strokeStyle = color;
        ctx.lineWidth = 3;
        ctx.lineCap = 'round';
        if (p.state !== 'detected') ctx.setLineDash([6, 5]);
        ctx.beginPath();
        for (const [a, b] of bones) {
          const [x1, y1] = videoToElement(rect, uv[2 * a], uv[2 * a + 1]);
          const [x2, y2] = videoToElement(rect, uv[2 * b], uv[2 * b + 1]);
          if (!Number.isFinite(x1 + y1 + x2 + y2)) continue;
          ctx.moveTo(x1, y1);
          ctx.lineTo(x2, y2);
        }
        ctx.stroke();
        ctx.setLineDash([]);
        ctx.fillStyle = '#ffffff';
        const J = bones.length ? 1 + Math.max(...bones.flat()) : uv.length / 2;
        for (let j = 0; j < J; j++) {
          const [x, y] = videoToElement(rect, uv[2 * j], uv[2 * j + 1]);
          if (!Number.isFinite(x + y)) continue;
          ctx.beginPath();
          ctx.arc(x, y, 2.5, 0, Math.PI * 2);
          ctx.fill();
        }
      }
      ctx.globalAlpha = 1;
      // the picked angles as arcs with values, on a paused frame
      stats.arcsOverlay = drawOverlayArcs(ctx, seq, bodies, state, rect);
      pushSample(stats.overlayMs, performance.now() - t0);
    };
    draw();
    const unsubscribe = store.subscribe(draw);
    const ro = new ResizeObserver(draw);
    ro.observe(canvas);
    return () => {
      unsubscribe();
      ro.disconnect();
    };
  }, [store, seq, bodies, bones, faces, syncBodies, stats]);

  return (
    <div className={styles.pane}>
      <span className={styles.paneLabel}>Video</span>
      <video
        ref={videoRef}
        data-testid="video"
        className={styles.video}
        src={src}
        preload="auto"
        playsInline
        muted
        onClick={() => controller.togglePlay()}
      />
      <canvas ref={canvasRef} className={styles.overlay} data-testid="video-overlay" />
    </div>
  );
}
