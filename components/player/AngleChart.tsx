'use client';

import { useEffect, useMemo, useRef } from 'react';
import type { AngleDef } from '@/lib/pose/angles';
import { formatAngle } from '@/lib/viewer/angleArcs';
import { angleDomain, curvePaths, maskRuns, rangeStats, type AngleSeries } from '@/lib/viewer/angleSeries';
import { trackColor } from '@/lib/viewer/colors';
import type { PlaybackStore } from '@/lib/viewer/playback';
import { COVER } from '@/lib/viewer/tracks';
import { useFrameEffect } from './usePlayback';
import { useSeekDrag } from './useSeekDrag';
import styles from './player.module.css';

export interface AngleCurve {
  trackId: number;
  series: AngleSeries;
  coverage: Uint8Array;
}

interface Props {
  def: AngleDef;
  curves: AngleCurve[];
  frameCount: number;
  store: PlaybackStore;
  /** the loop In–Out (inclusive), or the whole clip */
  range: [number, number];
  looping: boolean;
  onSeek: (frame: number) => void;
}

/**
 * One angle over the whole clip, one curve per athlete (track colour): solid on detected frames, dashed
 * and faded on held/interpolated ones, hatched where the angle is depth-dominated. The cursor and the
 * values at the current frame are written to the DOM on frame changes (no React render per frame);
 * min / max / range follow the loop marks. Click or drag seeks, as on the timeline.
 */
export function AngleChart({ def, curves, frameCount: F, store, range, looping, onSeek }: Props) {
  const handlers = useSeekDrag(F, onSeek);
  const [lo, hi] = useMemo(() => angleDomain(def.range, curves.map((c) => c.series.values)), [def, curves]);
  const y = (deg: number) => (hi - deg) / (hi - lo);
  const paths = useMemo(
    () => curves.map((c) => ({ id: c.trackId, ...curvePaths(c.series.values, c.coverage, (d) => (hi - d) / (hi - lo)) })),
    [curves, lo, hi],
  );
  const lowRuns = useMemo(() => curves.map((c) => ({ id: c.trackId, runs: maskRuns(c.series.low) })), [curves]);
  const stats = useMemo(() => curves.map((c) => ({ id: c.trackId, s: rangeStats(c.series.values, c.coverage, range[0], range[1]) })), [curves, range]);
  const pct = (f: number) => `${(100 * f) / F}%`;

  // Cursor and current values: imperative, on every frame change and whenever the curves change.
  const cursorRef = useRef<HTMLDivElement>(null);
  const valueRefs = useRef(new Map<number, HTMLElement>());
  const apply = (f: number) => {
    if (cursorRef.current) cursorRef.current.style.left = `${(100 * (f + 0.5)) / F}%`;
    for (const c of curves) {
      const el = valueRefs.current.get(c.trackId);
      if (!el) continue;
      const v = c.series.values[f];
      const low = c.series.low[f] === 1;
      const state = c.coverage[f];
      el.textContent = Number.isFinite(v) ? `${low ? '≈' : ''}${formatAngle(v)}` : '–';
      el.dataset.value = Number.isFinite(v) ? v.toFixed(3) : '';
      el.dataset.low = low ? '1' : '0';
      el.dataset.detected = state === COVER.detected ? '1' : '0';
      el.title = !Number.isFinite(v) ? 'no value at this frame'
        : `${v.toFixed(1)}°${state === COVER.detected ? '' : ' (not detected at this frame: held or interpolated)'}${low ? ' · low validity: a segment points along the camera\u2019s line of sight' : ''}`;
    }
  };
  useFrameEffect(store, apply);
  useEffect(() => apply(store.get().frame));

  const hasZero = lo < 0 && hi > 0;
  return (
    <div className={styles.angleRow} data-angle={def.name}>
      <div className={styles.angleName} title={def.description}>{def.label}</div>
      <div className={styles.angleLane} data-testid="angle-chart" data-angle={def.name} data-lo={lo} data-hi={hi} {...handlers}>
        {lowRuns.map(({ id, runs }) => runs.map((r) => (
          <div key={`${id}-${r.from}`} className={styles.lowValidity} data-testid="angle-low-validity" data-track={id}
            style={{ left: pct(r.from), width: pct(r.to - r.from + 1), color: trackColor(id) }} />
        )))}
        {looping && <div className={styles.loopShade} style={{ left: pct(range[0]), width: pct(range[1] - range[0] + 1) }} />}
        <svg viewBox={`0 0 ${F} 1`} preserveAspectRatio="none" width="100%" height="100%" className={styles.angleSvg}>
          {hasZero && <line x1={0} x2={F} y1={y(0)} y2={y(0)} stroke="#3a4455" strokeWidth={1} vectorEffect="non-scaling-stroke" />}
          {paths.map(({ id, solid, faded }) => (
            <g key={id} data-track={id}>
              <path d={faded} fill="none" stroke={trackColor(id)} strokeWidth={1.5} strokeDasharray="4 4" opacity={0.5} vectorEffect="non-scaling-stroke" data-kind="not-detected" />
              <path d={solid} fill="none" stroke={trackColor(id)} strokeWidth={2} vectorEffect="non-scaling-stroke" data-kind="detected" />
            </g>
          ))}
        </svg>
        {stats.map(({ id, s }) => s && (
          <span key={id}>
            <i className={styles.extreme} style={{ left: pct(s.maxFrame + 0.5), top: `${100 * y(s.max)}%`, borderColor: trackColor(id) }} title={`max ${s.max.toFixed(1)}° at frame ${s.maxFrame}`} />
            <i className={styles.extreme} style={{ left: pct(s.minFrame + 0.5), top: `${100 * y(s.min)}%`, borderColor: trackColor(id) }} title={`min ${s.min.toFixed(1)}° at frame ${s.minFrame}`} />
          </span>
        ))}
        <span className={styles.axisLabel} style={{ top: 1 }}>{hi}°</span>
        <span className={styles.axisLabel} style={{ bottom: 1 }}>{lo}°</span>
        <div ref={cursorRef} className={styles.cursor} data-testid="angle-cursor" />
      </div>
      <div className={styles.angleValues}>
        {curves.map((c) => {
          const s = stats.find((x) => x.id === c.trackId)?.s ?? null;
          return (
            <div key={c.trackId} className={styles.angleValue}>
              <i className={styles.swatch} style={{ background: trackColor(c.trackId) }} />
              <b ref={(el) => void (el ? valueRefs.current.set(c.trackId, el) : valueRefs.current.delete(c.trackId))}
                data-testid={`angle-value-${def.name}-${c.trackId}`}>–</b>
              <span className={styles.angleRange} data-testid={`angle-range-${def.name}-${c.trackId}`}
                data-min={s?.min.toFixed(3) ?? ''} data-max={s?.max.toFixed(3) ?? ''}
                title={s ? `over ${s.frames} detected frames ${looping ? 'inside the loop' : 'of the clip'}; min at frame ${s.minFrame}, max at frame ${s.maxFrame}` : 'no detected frame with a value'}>
                {s ? <>min {formatAngle(s.min)} · max {formatAngle(s.max)} · range {formatAngle(s.range)}</> : 'no detected value'}
              </span>
            </div>
          );
        })}
      </div>
    </div>
  );
}
