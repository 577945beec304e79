/**
 * The picked angles drawn on the video overlay of a paused frame: the same arcs and values as on the 3D
 * body. With a camera model (PHALP) the 3D arcs are projected through it, so they sit on the projected
 * skeleton; without one (CPU) they are drawn between the stored 2D limbs (lib/viewer/angleArcs.ts).
 */
import type { PoseSequence } from '@/lib/pose/types';
import { formatAngle, modelToThree, personArcs, personArcs2d, placeLabels, type PersonArc } from '@/lib/viewer/angleArcs';
import { projectThreePoint, type TrackBodies } from '@/lib/viewer/bodies';
import { trackColor } from '@/lib/viewer/colors';
import type { PlaybackState } from '@/lib/viewer/playback';
import { videoToElement, type ContentRect } from '@/lib/viewer/projection';
import { personTranslation } from '@/lib/viewer/scene';
import { ARC_COLOR, LOW_VALIDITY_COLOR } from './AngleArcs3D';

/** Draws the arcs; returns how many it drew. */
export function drawOverlayArcs(ctx: CanvasRenderingContext2D, seq: PoseSequence, bodies: TrackBodies, s: PlaybackState, rect: ContentRect): number {
  if (s.playing || s.angles.length === 0) return 0;
  const k = seq.intrinsics;
  const t = { tx: 0, ty: 0, tz: 0 };
  const todo: { arc: PersonArc; pts: number[][]; vertex: number[]; label: number[]; border: string }[] = [];
  for (const body of bodies.tracks.values()) {
    const p = body.person;
    if (!p || s.hiddenTracks.has(body.trackId) || (s.angleTracks && !s.angleTracks.includes(body.trackId))) continue;
    let arcs: { arc: PersonArc; pts: number[][]; vertex: number[]; label: number[] }[];
    if (k && p.camera) {
      const toThree = modelToThree(personTranslation(p, seq, t));
      const toElement = (q: ArrayLike<number>) => videoToElement(rect, ...projectThreePoint(q[0], q[1], q[2], k));
      // element pixels per metre at a three.js point: the pinhole's focal length over the depth
      const pixelsPerUnit = (q: readonly number[]) => (k.fy * rect.scale) / Math.max(1e-6, -q[2]);
      arcs = personArcs(seq.joint_set, p, s.angles, toThree, { pixelsPerUnit }).map((a) => ({
        arc: a,
        pts: Array.from({ length: a.arc.points.length / 3 }, (_, i) => toElement(a.arc.points.subarray(3 * i, 3 * i + 3))),
        vertex: toElement(a.vertex),
        label: toElement(a.arc.label),
      }));
    } else {
      arcs = personArcs2d(seq.joint_set, p, s.angles, (u, v) => videoToElement(rect, u, v)).map((a) => ({
        arc: a,
        pts: Array.from({ length: a.arc.points.length / 2 }, (_, i) => [a.arc.points[2 * i], a.arc.points[2 * i + 1]]),
        vertex: a.vertex,
        label: a.arc.label,
      }));
    }
    for (const a of arcs) if ([...a.pts.flat(), ...a.vertex, ...a.label].every(Number.isFinite)) todo.push({ ...a, border: trackColor(body.trackId) });
  }
  // arcs first, then the labels on top, moved apart where they would overlap
  const text = (a: PersonArc) => `${a.low ? '≈' : ''}${formatAngle(a.value)}`;
  for (const a of todo) drawArc(ctx, a.pts, a.vertex, a.arc.low);
  ctx.font = LABEL_FONT;
  const widths = todo.map((a) => ctx.measureText(text(a.arc)).width + 10);
  const centres = placeLabels(todo.map((a, i) => ({ x: a.label[0], y: a.label[1], w: widths[i] })), LABEL_H);
  todo.forEach((a, i) => drawLabel(ctx, centres[i], widths[i], text(a.arc), a.arc.low, a.border));
  return todo.length;
}

const LABEL_FONT = '600 13px system-ui, sans-serif';
const LABEL_H = 18;

function drawArc(ctx: CanvasRenderingContext2D, pts: number[][], vertex: number[], low: boolean): void {
  const color = low ? LOW_VALIDITY_COLOR : ARC_COLOR;
  ctx.save();
  // sector
  ctx.beginPath();
  ctx.moveTo(vertex[0], vertex[1]);
  for (const [x, y] of pts) ctx.lineTo(x, y);
  ctx.closePath();
  ctx.fillStyle = color;
  ctx.globalAlpha = 0.3;
  ctx.fill();
  ctx.globalAlpha = 1;
  // rays, a little longer than the radius, and the arc
  ctx.strokeStyle = color;
  ctx.lineWidth = 1.5;
  ctx.setLineDash(low ? [4, 3] : []);
  ctx.beginPath();
  for (const [x, y] of [pts[0], pts[pts.length - 1]]) {
    ctx.moveTo(vertex[0], vertex[1]);
    ctx.lineTo(vertex[0] + 1.35 * (x - vertex[0]), vertex[1] + 1.35 * (y - vertex[1]));
  }
  ctx.stroke();
  ctx.lineWidth = 2.5;
  ctx.beginPath();
  pts.forEach(([x, y], i) => (i ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
  ctx.stroke();
  ctx.restore();
}

/** The value in a dark box bordered in the athlete's colour (grey italic with ≈ when low validity). */
function drawLabel(ctx: CanvasRenderingContext2D, [cx, cy]: [number, number], w: number, text: string, low: boolean, border: string): void {
  ctx.save();
  ctx.font = low ? `italic ${LABEL_FONT}` : LABEL_FONT;
  ctx.fillStyle = 'rgba(10, 12, 16, 0.85)';
  ctx.strokeStyle = border;
  ctx.lineWidth = 1.5;
  ctx.beginPath();
  ctx.roundRect(cx - w / 2, cy - LABEL_H / 2, w, LABEL_H, 5);
  ctx.fill();
  ctx.stroke();
  ctx.fillStyle = low ? LOW_VALIDITY_COLOR : '#ffffff';
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  ctx.fillText(text, cx, cy + 0.5);
  ctx.restore();
}
