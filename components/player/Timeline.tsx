'use client';

import { useMemo, useRef, useState } from 'react';
import type { CoherenceBreak } from '@/lib/pose/coherence';
import type { TrackStats } from '@/lib/pose/types';
import { COVERAGE_COLORS, trackColor } from '@/lib/viewer/colors';
import { formatTime } from '@/lib/viewer/frameTime';
import type { PlaybackStore } from '@/lib/viewer/playback';
import { COVER, coverageRuns, describeCoverage, lostSpanAt, type CoverCode, type TrackTable } from '@/lib/viewer/tracks';
import type { PlayerStats } from './stats';
import { useFrameEffect, usePlayback } from './usePlayback';
import { useSeekDrag, type SeekDragHandlers, type SeekHover } from './useSeekDrag';
import styles from './player.module.css';

const CODE_NAME: Record<CoverCode, keyof typeof COVERAGE_COLORS> = {
  [COVER.missing]: 'missing', [COVER.detected]: 'detected', [COVER.held]: 'held', [COVER.interpolated]: 'interpolated',
};

interface Props {
  table: TrackTable;
  timestamps: Float64Array;
  stats: TrackStats[];
  store: PlaybackStore;
  onSeek: (frame: number) => void;
  /** frames where a track broke temporal coherence (lib/pose/coherence.ts), marked on its coverage row */
  breaks?: readonly CoherenceBreak[];
  /** counts this component's renders (a figure: it must not re-render on every frame of playback) */
  playerStats?: PlayerStats;
  /** results while tracking runs: frames from here on are still being tracked (drawn as "processing") */
  pendingFrom?: number | null;
}

/**
 * Scrubber, coverage strip per track and tracking-confidence chart, sharing one cursor; click or drag anywhere seeks.
 * During playback only the cursors move (written to the DOM directly): the rows, runs and chart re-render only when
 * visibility, loop marks or the hover change.
 */
export function Timeline({ table, timestamps, stats, store, onSeek, breaks = [], playerStats, pendingFrom = null }: Props) {
  const hiddenTracks = usePlayback(store, (s) => s.hiddenTracks);
  const loopIn = usePlayback(store, (s) => s.loopIn);
  const loopOut = usePlayback(store, (s) => s.loopOut);
  if (playerStats) playerStats.timelineRenders++;
  const F = table.frameCount;
  const pct = (f: number) => `${(100 * f) / F}%`;
  const [hover, setHover] = useState<SeekHover | null>(null);
  const laneHandlers = useSeekDrag(F, onSeek, setHover);

  const runs = useMemo(() => new Map(table.trackIds.map((id) => [id, coverageRuns(table.coverage.get(id)!)])), [table]);
  const chartPaths = useMemo(() => {
    // One polyline per track, in a 0..F x 0..1 viewBox; gaps where the track is absent.
    return table.trackIds.map((id) => {
      const c = table.confidence.get(id)!;
      let d = '';
      let pen = false;
      for (let f = 0; f < F; f++) {
        if (Number.isNaN(c[f])) { pen = false; continue; }
        d += `${pen ? 'L' : 'M'}${f + 0.5} ${(1 - c[f]).toFixed(4)} `;
        pen = true;
      }
      return { id, d };
    });
  }, [table, F]);

  const cursor = <Cursor store={store} frameCount={F} />;
  const pending = pendingFrom !== null && pendingFrom < F
    ? <div className={styles.pending} style={{ left: pct(pendingFrom) }} data-testid="coverage-processing" data-from={pendingFrom} title={`Frames ${pendingFrom}–${F - 1}: processing (still being tracked)`}>
        <span className={styles.pendingLabel}>processing</span>
      </div>
    : null;
  const loop = loopIn !== null || loopOut !== null
    ? <div className={styles.loopShade} style={{ left: pct(loopIn ?? 0), width: pct((loopOut ?? F - 1) - (loopIn ?? 0) + 1) }} />
    : null;
  const statsById = new Map(stats.map((s) => [s.track_id, s]));
  // a break is a one-frame mark: the tooltip names those within a few pixels of the pointer
  const breakReach = Math.max(1, Math.round(F / 250));
  const breaksByTrack = new Map<number, CoherenceBreak[]>();
  for (const b of breaks) breaksByTrack.set(b.track_id, [...(breaksByTrack.get(b.track_id) ?? []), b]);

  return (
    <div className={styles.timeline}>
      <div className={styles.rowLabel}>Frames</div>
      <div className={`${styles.lane} ${styles.scrub}`} data-testid="scrubber" {...laneHandlers}>
        <Ticks frameCount={F} timestamps={timestamps} />
        {pending}
        {loop}
        {cursor}
      </div>

      {table.trackIds.map((id) => (
        <CoverageRow key={id} id={id} runs={runs.get(id)!} breaks={breaksByTrack.get(id) ?? []} pct={pct} hidden={hiddenTracks.has(id)} handlers={laneHandlers} loop={loop} cursor={cursor} pending={pending} />
      ))}

      <div className={styles.rowLabel}>Tracking confidence</div>
      <div className={`${styles.lane} ${styles.chart}`} data-testid="confidence-chart" {...laneHandlers}>
        <svg viewBox={`0 0 ${F} 1`} preserveAspectRatio="none" width="100%" height="100%" style={{ position: 'absolute', inset: 0 }}>
          <line x1={0} x2={F} y1={0.5} y2={0.5} stroke="#2a3342" strokeWidth={1} vectorEffect="non-scaling-stroke" />
          {chartPaths.map(({ id, d }) => (
            <path key={id} d={d} fill="none" stroke={trackColor(id)} strokeWidth={2} vectorEffect="non-scaling-stroke" opacity={hiddenTracks.has(id) ? 0.2 : 1} data-track={id} />
          ))}
        </svg>
        {pending}
        {loop}
        {cursor}
      </div>

      <div className={styles.legend}>
        {(['detected', 'interpolated', 'held', 'missing'] as const).map((k) => (
          <span key={k}><i className={styles.swatch} style={{ background: COVERAGE_COLORS[k] }} />{k}</span>
        ))}
        {pending && <span><i className={`${styles.swatch} ${styles.pendingSwatch}`} />processing (still being tracked)</span>}
        {breaks.length > 0 && <span><i className={styles.breakSwatch} />coherence break (limb swap, teleport, bone length): hover for the reason</span>}
        <span>Click or drag on any row to seek · [ and ] set loop marks</span>
      </div>

      {hover && (
        <div className={styles.tooltip} style={{ left: hover.x + 12, top: hover.y + 14 }} data-testid="timeline-tooltip">
          <div><b>Frame {hover.frame}</b> · {formatTime(timestamps[hover.frame] ?? 0)}</div>
          {table.trackIds.map((id) => {
            const code = table.coverage.get(id)![hover.frame] as CoverCode;
            const conf = table.confidence.get(id)![hover.frame];
            return (
              <div key={id}>
                <span style={{ color: trackColor(id) }}>Athlete {id}</span>: {describeCoverage(code, lostSpanAt(statsById.get(id), hover.frame))}
                {Number.isNaN(conf) ? '' : ` · confidence ${(conf * 100).toFixed(0)}%`}
                {breaksByTrack.get(id)?.filter((b) => Math.abs(b.frame - hover.frame) <= breakReach).map((b) => (
                  <div key={`${b.frame}-${b.reason}`} className={styles.breakText} data-testid="break-reason">⚠ frame {b.frame}: {BREAK_TEXT[b.reason] ?? b.reason} ({b.detail})</div>
                ))}
              </div>
            );
          })}
        </div>
      )}
    </div>
  );
}

/** The frame cursor: moved by style, outside React, on every frame change. */
function Cursor({ store, frameCount }: { store: PlaybackStore; frameCount: number }) {
  const ref = useRef<HTMLDivElement>(null);
  const left = (f: number) => `${(100 * (f + 0.5)) / frameCount}%`;
  useFrameEffect(store, (f) => {
    if (ref.current) ref.current.style.left = left(f);
  });
  return <div ref={ref} className={styles.cursor} style={{ left: left(store.get().frame) }} data-testid="timeline-cursor" />;
}

const BREAK_TEXT: Record<CoherenceBreak['reason'], string> = {
  limb_swap: 'left/right limbs swapped',
  teleport: 'jumped further than a body can move in one frame',
  bone_length: 'bone lengths changed implausibly',
};

function CoverageRow({ id, runs, breaks, pct, hidden, handlers, loop, cursor, pending }: {
  id: number; runs: { from: number; to: number; code: CoverCode }[]; breaks: CoherenceBreak[]; pct: (f: number) => string; hidden: boolean;
  handlers: SeekDragHandlers; loop: React.ReactNode; cursor: React.ReactNode; pending: React.ReactNode;
}) {
  return (
    <>
      <div className={styles.rowLabel}><i className={styles.swatch} style={{ background: trackColor(id) }} />Athlete {id}</div>
      <div className={styles.lane} data-testid="coverage-strip" data-track={id} style={{ opacity: hidden ? 0.35 : 1 }} {...handlers}>
        {runs.map((r) => (
          <div key={r.from} className={styles.run} data-state={CODE_NAME[r.code]} data-from={r.from} data-to={r.to}
            style={{ left: pct(r.from), width: pct(r.to - r.from + 1), background: COVERAGE_COLORS[CODE_NAME[r.code]] }} />
        ))}
        {breaks.map((b) => (
          <div key={`${b.frame}-${b.reason}`} className={styles.breakMark} style={{ left: pct(b.frame + 0.5) }}
            data-testid="coherence-break" data-track={id} data-frame={b.frame} data-reason={b.reason} title={`Frame ${b.frame}: ${BREAK_TEXT[b.reason] ?? b.reason} (${b.detail})`} />
        ))}
        {pending}
        {loop}
        {cursor}
      </div>
    </>
  );
}

/** A tick every second of video time, labelled. */
function Ticks({ frameCount, timestamps }: { frameCount: number; timestamps: Float64Array }) {
  const marks = useMemo(() => {
    const out: { f: number; label: string }[] = [];
    const end = timestamps[frameCount - 1] ?? 0;
    const step = end > 30 ? 5 : end > 10 ? 2 : 1;
    for (let s = 0, f = 0; s <= end; s += step) {
      while (f < frameCount - 1 && timestamps[f] < s) f++;
      out.push({ f, label: `${s}s` });
    }
    return out;
  }, [frameCount, timestamps]);
  return (
    <div className={styles.ticks}>
      {marks.map((m) => (
        <span key={m.label} style={{ position: 'absolute', left: `${(100 * m.f) / frameCount}%`, top: 0, bottom: 0, borderLeft: '1px solid #3a4455', paddingLeft: 3, fontSize: 10, color: '#8b96a8' }}>
          {m.label}
        </span>
      ))}
    </div>
  );
}
