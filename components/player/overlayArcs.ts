/**
 * The picked angles drawn on the video overlay of a paused frame: the same arcs and values as on the 3D
 * body. With a camera model (PHALP) the 3D arcs are projected through it, so they sit on the projected
 * skeleton; without one (CPU) they are drawn between the stored 2D limbs (lib/viewer/angleArcs.ts).
 */
import type { PoseSequence } from '@/lib/pose/types';
import { formatAngle, modelToThree, personArcs, personArcs2d, type PersonArc } from '@/lib/viewer/angleArcs';
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
  let drawn = 0;
  for (const body of bodies.tracks.values()) {
    const p = body.person;
    if (!p || s.hiddenTracks.has(body.trackId) || (s.angleTracks && !s.angleTracks.includes(body.trackId))) continue;
    let arcs: { arc: PersonArc; pts: number[][]; vertex: number[]; label: number[] }[];
    if (k && p.camera) {
      const toThree = modelToThree(personTranslation(p, seq, t));
      const toElement = (q: ArrayLike<number>) => videoToElement(rect, ...projectThreePoint(q[0], q[1], q[2], k));
      arcs = personArcs(seq.joint_set, p, s.angles, toThree).map((a) => ({
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
    for (const { arc, pts, vertex, label } of arcs) {
      if (![...pts.flat(), ...vertex, ...label].every(Number.isFinite)) continue;
      drawArc(ctx, pts, vertex, label, `${arc.low ? '≈' : ''}${formatAngle(arc.value)}`, arc.low, trackColor(body.trackId));
      drawn++;
    }
  }
  return drawn;
}

function drawArc(ctx: CanvasRenderingContext2D, pts: number[][], vertex: number[], label: number[], text: string, low: boolean, border: string): void {
  const color = low ? LOW_VALIDITY_COLOR : ARC_COLOR;
  ctx.save();
  ctx.globalAlpha = 1;
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
  ctx.setLineDash([]);
  // value label
  ctx.font = `${low ? 'italic ' : ''}600 13px system-ui, sans-serif`;
  const w = ctx.measureText(text).width + 10, h = 18;
  const x = label[0] - w / 2, y = label[1] - h / 2;
  ctx.fillStyle = 'rgba(10, 12, 16, 0.85)';
  ctx.strokeStyle = border;
  ctx.lineWidth = 1.5;
  ctx.beginPath();
  ctx.roundRect(x, y, w, h, 5);
  ctx.fill();
  ctx.stroke();
  ctx.fillStyle = low ? LOW_VALIDITY_COLOR : '#ffffff';
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  ctx.fillText(text, label[0], label[1] + 0.5);
  ctx.restore();
}
