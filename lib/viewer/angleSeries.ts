/**
 * Joint-angle curves for the player's Angles panel: every angle of lib/pose/angles.ts for every track
 * over the whole clip, computed once per sequence (raw or smoothed), plus the pure pieces the chart
 * draws from them (path strings, runs, min/max inside the loop). No React, no DOM.
 */
import { ANGLE_DEFS, angleDepthDominated, jointAngles, type AngleDef } from '../pose/angles';
import type { PoseSequence } from '../pose/types';
import { COVER, type TrackTable } from './tracks';

export interface AngleSeries {
  /** degrees per frame; NaN where the track is absent or the angle is null */
  values: Float32Array;
  /** 1 where the angle is depth-dominated (low validity), per frame */
  low: Uint8Array;
}

/** track id -> angle name -> series */
export type AngleSeriesTable = Map<number, Map<string, AngleSeries>>;

/** Every angle of every track over the whole clip. */
export function angleSeries(seq: PoseSequence, table: TrackTable): AngleSeriesTable {
  const F = seq.frames.length;
  const out: AngleSeriesTable = new Map();
  for (const id of table.trackIds) {
    const byAngle = new Map<string, AngleSeries>();
    for (const def of ANGLE_DEFS) byAngle.set(def.name, { values: new Float32Array(F).fill(NaN), low: new Uint8Array(F) });
    out.set(id, byAngle);
  }
  seq.frames.forEach((frame, f) => {
    for (const p of frame.persons) {
      const byAngle = out.get(p.track_id);
      if (!byAngle) continue;
      const values = jointAngles(seq.joint_set, p.keypoints_3d);
      const low = angleDepthDominated(seq.joint_set, p.keypoints_3d, p.camera);
      for (const [name, s] of byAngle) {
        const v = values[name];
        if (v !== null && v !== undefined && Number.isFinite(v)) s.values[f] = v;
        if (low[name]) s.low[f] = 1;
      }
    }
  });
  return out;
}

/** The angles that have a value somewhere in the clip (their joints exist in the clip's joint set), table order. */
export function availableAngles(series: AngleSeriesTable): AngleDef[] {
  return ANGLE_DEFS.filter((d) => [...series.values()].some((m) => m.get(d.name)?.values.some(Number.isFinite)));
}

export interface RangeStats {
  min: number;
  max: number;
  range: number;
  minFrame: number;
  maxFrame: number;
  /** detected frames with a value inside the range */
  frames: number;
}

/**
 * Min / max / range of a curve over frames from..to (inclusive), counting only DETECTED frames with a
 * value: held frames repeat a stale pose and interpolated ones are invented, so neither may set an extreme.
 */
export function rangeStats(values: Float32Array, coverage: Uint8Array, from: number, to: number): RangeStats | null {
  let min = Infinity, max = -Infinity, minFrame = -1, maxFrame = -1, frames = 0;
  const a = Math.max(0, from), b = Math.min(values.length - 1, to);
  for (let f = a; f <= b; f++) {
    const v = values[f];
    if (coverage[f] !== COVER.detected || !Number.isFinite(v)) continue;
    frames++;
    if (v < min) (min = v), (minFrame = f);
    if (v > max) (max = v), (maxFrame = f);
  }
  return frames === 0 ? null : { min, max, range: max - min, minFrame, maxFrame, frames };
}

/** Runs of consecutive frames where mask is set (e.g. low-validity frames), inclusive bounds. */
export function maskRuns(mask: ArrayLike<number>): { from: number; to: number }[] {
  const runs: { from: number; to: number }[] = [];
  for (let f = 0; f < mask.length; f++) {
    if (!mask[f]) continue;
    const last = runs[runs.length - 1];
    if (last && last.to === f - 1) last.to = f;
    else runs.push({ from: f, to: f });
  }
  return runs;
}

/**
 * SVG path data for one curve in a viewBox of 0..F (x, frame f at f + 0.5) by 0..1 (y, via `y(deg)`),
 * split by what the frames are: `solid` joins consecutive detected frames, `faded` every step that
 * touches a held or interpolated frame (drawn dashed). Frames without a value break the line.
 */
export function curvePaths(values: Float32Array, coverage: Uint8Array, y: (deg: number) => number): { solid: string; faded: string } {
  let solid = '', faded = '';
  let solidEnd = -1, fadedEnd = -1; // the frame each path's current sub-path ends at
  const pt = (f: number) => `${f + 0.5} ${y(values[f]).toFixed(4)}`;
  for (let f = 0; f < values.length; f++) {
    if (!Number.isFinite(values[f])) continue;
    const detected = coverage[f] === COVER.detected;
    if (f > 0 && Number.isFinite(values[f - 1])) {
      if (detected && coverage[f - 1] === COVER.detected) {
        solid += solidEnd === f - 1 ? `L${pt(f)} ` : `M${pt(f - 1)} L${pt(f)} `;
        solidEnd = f;
      } else {
        faded += fadedEnd === f - 1 ? `L${pt(f)} ` : `M${pt(f - 1)} L${pt(f)} `;
        fadedEnd = f;
      }
    } else if (detected && !(f + 1 < values.length && Number.isFinite(values[f + 1]))) {
      // an isolated detected frame: a short tick so it shows
      const v = y(values[f]).toFixed(4);
      solid += `M${f + 0.2} ${v} L${f + 0.8} ${v} `;
    }
  }
  return { solid: solid.trim(), faded: faded.trim() };
}

/** Chart axis for an angle: its expected range, widened to the data shown, on 10° steps. */
export function angleDomain(range: readonly [number, number], curves: Float32Array[]): [number, number] {
  let lo = range[0], hi = range[1];
  for (const c of curves) for (const v of c) if (Number.isFinite(v)) (lo = Math.min(lo, v)), (hi = Math.max(hi, v));
  lo = Math.floor(lo / 10) * 10;
  hi = Math.ceil(hi / 10) * 10;
  return hi > lo ? [lo, hi] : [lo - 10, hi + 10];
}
