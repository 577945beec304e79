/**
 * Geometry of the angle arcs drawn on a paused frame (3D view and video overlay): pure functions over
 * 2D or 3D points (plain arrays), no three.js, no DOM.
 *
 * An angle of lib/pose/angles.ts is measured at a vertex b between the segments b→a and b→c. Two
 * kinds of value exist there:
 * - interior angles, ∠(a, b, c) (e.g. shoulder elevation = ∠(hip, shoulder, elbow));
 * - flexions, 180 − ∠(a, b, c) (0 = straight limb): the angle between the CONTINUATION of a→b past
 *   the vertex and b→c, which is where a coach draws a knee or elbow bend.
 * arcModeFor() decides which one a value is from the 3D points themselves (the one the value matches),
 * so a new angle added to the table gets the right arc without a list of names here.
 */

import { angleArcPoints, angleDepthDominated, angleJointIndices, jointAngles } from '../pose/angles';
import type { CameraTranslation, PersonPose } from '../pose/types';

export type Vec = readonly number[];
export type ArcMode = 'interior' | 'supplement';

export interface Arc {
  /** (segments + 1) points along the arc, each `dim` numbers, from the first ray to the second */
  points: Float32Array;
  /** where the value's label goes: on the arc's bisector, a little outside the arc */
  label: number[];
  /** the swept angle, degrees (equals the displayed value for the mode it was built with) */
  sweepDeg: number;
  dim: number;
}

const sub = (p: Vec, q: Vec) => p.map((v, i) => v - q[i]);
const dot = (p: Vec, q: Vec) => p.reduce((s, v, i) => s + v * q[i], 0);
const norm = (p: Vec) => Math.sqrt(dot(p, p));
const finite = (p: Vec) => p.every(Number.isFinite);

/** Point j of a flat buffer of `dim`-vectors (e.g. J*3 joints). */
export function pointOf(buf: ArrayLike<number>, j: number, dim: number): number[] {
  const out = new Array<number>(dim);
  for (let k = 0; k < dim; k++) out[k] = buf[dim * j + k];
  return out;
}

/** ∠(a, b, c) in degrees, 0..180; NaN when a segment has no length or a point is not finite. */
export function interiorAngle(a: Vec, b: Vec, c: Vec): number {
  const u = sub(a, b), v = sub(c, b);
  const nu = norm(u), nv = norm(v);
  if (!(nu > 1e-12 && nv > 1e-12)) return NaN;
  return (Math.acos(Math.max(-1, Math.min(1, dot(u, v) / (nu * nv)))) * 180) / Math.PI;
}

/**
 * Which arc shows `valueDeg` for these points: the interior angle, or its supplement (flexion).
 * Ties (90°) go to the interior arc.
 */
export function arcModeFor(a: Vec, b: Vec, c: Vec, valueDeg: number): ArcMode {
  const inner = interiorAngle(a, b, c);
  if (!Number.isFinite(inner)) return 'interior';
  return Math.abs(valueDeg - (180 - inner)) < Math.abs(valueDeg - inner) ? 'supplement' : 'interior';
}

/** A radius that fits the limb: `fraction` of the shorter of the two segments at the vertex. */
export function arcRadius(a: Vec, b: Vec, c: Vec, fraction = 0.35): number {
  return fraction * Math.min(norm(sub(a, b)), norm(sub(c, b)));
}

/** A unit vector perpendicular to unit vector u (2D: turned 90°; 3D: crossed with the least aligned axis). */
function perpendicular(u: Vec): number[] {
  if (u.length === 2) return [-u[1], u[0]];
  const ax = Math.abs(u[0]), ay = Math.abs(u[1]), az = Math.abs(u[2]);
  const e = ax <= ay && ax <= az ? [1, 0, 0] : ay <= az ? [0, 1, 0] : [0, 0, 1];
  const w = [u[1] * e[2] - u[2] * e[1], u[2] * e[0] - u[0] * e[2], u[0] * e[1] - u[1] * e[0]];
  const n = norm(w);
  return w.map((x) => x / n);
}

/**
 * The arc at vertex b, of radius `radius`, from the first ray to the second in the plane they span:
 * - 'interior': from b→a to b→c;
 * - 'supplement': from the continuation of a→b past b to b→c.
 * Null when a point is not finite or a segment has no length.
 */
export function angleArc(a: Vec, b: Vec, c: Vec, mode: ArcMode, radius: number, segments = 24, labelAt = 1.45): Arc | null {
  const dim = b.length;
  if (a.length !== dim || c.length !== dim || (dim !== 2 && dim !== 3)) throw new Error(`angleArc: points must all be 2D or 3D (got ${a.length}, ${b.length}, ${c.length})`);
  if (!finite(a) || !finite(b) || !finite(c) || !(radius > 0) || !Number.isFinite(radius)) return null;
  const first = mode === 'interior' ? sub(a, b) : sub(b, a);
  const second = sub(c, b);
  const n1 = norm(first), n2 = norm(second);
  if (!(n1 > 1e-12 && n2 > 1e-12)) return null;
  const u = first.map((x) => x / n1);
  const v = second.map((x) => x / n2);
  const cos = Math.max(-1, Math.min(1, dot(u, v)));
  const theta = Math.acos(cos);
  // w: unit vector in the plane, perpendicular to u, on v's side
  let w = v.map((x, i) => x - cos * u[i]);
  const nw = norm(w);
  w = nw > 1e-9 ? w.map((x) => x / nw) : perpendicular(u);
  const at = (t: number, r: number) => {
    const ca = Math.cos(t * theta), sa = Math.sin(t * theta);
    return b.map((x, i) => x + r * (ca * u[i] + sa * w[i]));
  };
  const points = new Float32Array((segments + 1) * dim);
  for (let s = 0; s <= segments; s++) points.set(at(s / segments, radius), s * dim);
  return { points, label: at(0.5, radius * labelAt), sweepDeg: (theta * 180) / Math.PI, dim };
}

/** The filled sector of an arc as a triangle list (vertex, arc point i, arc point i+1), for a mesh. */
export function sectorTriangles(arc: Arc, vertex: Vec): Float32Array {
  const { dim, points } = arc;
  const n = points.length / dim - 1;
  const out = new Float32Array(n * 3 * dim);
  for (let i = 0; i < n; i++) {
    out.set(vertex, 3 * dim * i);
    out.set(points.subarray(i * dim, (i + 1) * dim), 3 * dim * i + dim);
    out.set(points.subarray((i + 1) * dim, (i + 2) * dim), 3 * dim * i + 2 * dim);
  }
  return out;
}

/** Label text of an angle value: whole degrees. */
export function formatAngle(value: number | null | undefined): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '–' : `${Math.round(value)}°`;
}

export interface PersonArc {
  name: string;
  /** the angle's value (degrees) and whether it is depth-dominated (low validity) */
  value: number;
  low: boolean;
  /** the arc's vertex and arc, in the coordinates asked for */
  vertex: number[];
  arc: Arc;
  mode: ArcMode;
}

/** Arc radius limits in metres: visible on a small body part, not covering the body on a long one. */
const MIN_RADIUS_M = 0.06;
const MAX_RADIUS_M = 0.22;
/** On screen, whatever the distance: an arc at least MIN_PX and at most MAX_PX in radius, its label LABEL_GAP_PX outside it. */
export const ARC_MIN_PX = 18;
export const ARC_MAX_PX = 48;
export const LABEL_GAP_PX = 16;

export interface ArcScreenOptions {
  segments?: number;
  /** screen pixels per scene unit at a point (perspective: falls with distance); keeps arcs readable when the body is small */
  pixelsPerUnit?: (p: Vec) => number;
}

/**
 * The arcs of the angles `names` on one person, in 3D: model space (the keypoints' own frame) or, with
 * `toScene`, mapped point by point (e.g. into three.js coordinates as the 3D view draws the body).
 * Angles that are null at this pose are left out.
 */
export function personArcs(jointSet: string, person: PersonPose, names: readonly string[], toScene?: (p: Vec) => number[], opts: ArcScreenOptions = {}): PersonArc[] {
  const segments = opts.segments ?? 24;
  if (names.length === 0) return [];
  const kp = person.keypoints_3d;
  const values = jointAngles(jointSet, kp);
  const low = angleDepthDominated(jointSet, kp, person.camera);
  const out: PersonArc[] = [];
  for (const name of names) {
    const value = values[name];
    if (value === null || value === undefined) continue;
    const pts = angleArcPoints(jointSet, kp, name);
    if (!pts) continue;
    const [from, vertex, to] = [pts.from, pts.vertex, pts.to].map((q) => (toScene ? toScene(q) : [...q]));
    const mode = arcModeFor(from, vertex, to, value);
    let radius = Math.min(MAX_RADIUS_M, Math.max(MIN_RADIUS_M, arcRadius(from, vertex, to)));
    let labelAt = 1.45;
    const px = opts.pixelsPerUnit?.(vertex) ?? NaN;
    if (px > 0 && Number.isFinite(px)) {
      radius = Math.max(ARC_MIN_PX / px, Math.min(radius, ARC_MAX_PX / px));
      labelAt = 1 + LABEL_GAP_PX / (radius * px);
    }
    const arc = angleArc(from, vertex, to, mode, radius, segments, labelAt);
    if (arc) out.push({ name, value, low: low[name] ?? false, vertex, arc, mode });
  }
  return out;
}

/**
 * The same arcs on the video for a runner WITHOUT a camera model (CPU): 2D, in the caller's pixel space
 * (`toPixels` maps a stored keypoints_2d point, e.g. video pixels to element pixels). Angles with three
 * joints are drawn between the drawn 2D limbs (their kind, interior or flexion, from the 3D value);
 * the others (trunk, pelvis, rotations) from their 3D construction through a weak-perspective fit of the
 * person's 3D joints onto its 2D joints.
 */
export function personArcs2d(jointSet: string, person: PersonPose, names: readonly string[], toPixels: (u: number, v: number) => [number, number], segments = 24): PersonArc[] {
  if (names.length === 0) return [];
  const kp = person.keypoints_3d;
  const kp2 = person.keypoints_2d;
  const values = jointAngles(jointSet, kp);
  const low = angleDepthDominated(jointSet, kp, person.camera);
  let fit: WeakPerspective | null | undefined;
  const out: PersonArc[] = [];
  for (const name of names) {
    const value = values[name];
    if (value === null || value === undefined) continue;
    let from: number[], vertex: number[], to: number[];
    const idx = angleJointIndices(jointSet, name);
    const pts3 = angleArcPoints(jointSet, kp, name);
    if (!pts3) continue;
    if (idx) {
      [from, vertex, to] = [idx.a, idx.b, idx.c].map((j) => toPixels(kp2[2 * j], kp2[2 * j + 1]));
    } else {
      if (fit === undefined) fit = fitWeakPerspective(kp, kp2);
      if (!fit) continue;
      const f = fit;
      [from, vertex, to] = [pts3.from, pts3.vertex, pts3.to].map((q) => toPixels(...applyWeakPerspective(f, q)));
    }
    const mode = arcModeFor(pts3.from, pts3.vertex, pts3.to, value);
    const radius = Math.min(ARC_MAX_PX, Math.max(ARC_MIN_PX, arcRadius(from, vertex, to)));
    const arc = angleArc(from, vertex, to, mode, radius, segments, 1 + LABEL_GAP_PX / radius);
    if (arc) out.push({ name, value, low: low[name] ?? false, vertex, arc, mode });
  }
  return out;
}

/** 3D (x right, y down) -> 2D pixels: u = cu + s (x - cx), v = cv + s (y - cy). */
export interface WeakPerspective {
  s: number;
  cx: number;
  cy: number;
  cu: number;
  cv: number;
}

/**
 * Least-squares scale and offset taking a person's 3D joints (camera-aligned axes, x right, y down) onto
 * its 2D joints, over the joints finite in both: an orthographic camera, good for a person far from the
 * camera relative to their depth. Null with fewer than 3 joints or no spread.
 */
export function fitWeakPerspective(kp3d: ArrayLike<number>, kp2d: ArrayLike<number>): WeakPerspective | null {
  const J = Math.min(Math.floor(kp3d.length / 3), Math.floor(kp2d.length / 2));
  const use: number[] = [];
  for (let j = 0; j < J; j++) {
    if ([kp3d[3 * j], kp3d[3 * j + 1], kp2d[2 * j], kp2d[2 * j + 1]].every(Number.isFinite)) use.push(j);
  }
  if (use.length < 3) return null;
  let cx = 0, cy = 0, cu = 0, cv = 0;
  for (const j of use) (cx += kp3d[3 * j]), (cy += kp3d[3 * j + 1]), (cu += kp2d[2 * j]), (cv += kp2d[2 * j + 1]);
  cx /= use.length; cy /= use.length; cu /= use.length; cv /= use.length;
  let num = 0, den = 0;
  for (const j of use) {
    const x = kp3d[3 * j] - cx, y = kp3d[3 * j + 1] - cy;
    num += x * (kp2d[2 * j] - cu) + y * (kp2d[2 * j + 1] - cv);
    den += x * x + y * y;
  }
  if (!(den > 1e-12) || !(num > 0)) return null;
  return { s: num / den, cx, cy, cu, cv };
}

export function applyWeakPerspective(f: WeakPerspective, p: Vec): [number, number] {
  return [f.cu + f.s * (p[0] - f.cx), f.cv + f.s * (p[1] - f.cy)];
}

/** Model-space (OpenCV axes) point + translation -> three.js coordinates (y and z negated), as lib/viewer/scene.ts toThree. */
export function modelToThree(t: CameraTranslation): (p: Vec) => number[] {
  return (p) => [p[0] + t.tx, -(p[1] + t.ty), -(p[2] + t.tz)];
}

/**
 * Moves labels (centre x, y; width w; common height h) apart so no two overlap: each label, in order,
 * steps down (then up) by its height until it clears the labels placed before it. Returns new centres.
 */
export function placeLabels(labels: { x: number; y: number; w: number }[], h: number): [number, number][] {
  const placed: { x: number; y: number; w: number }[] = [];
  const overlaps = (a: { x: number; y: number; w: number }) => placed.some((b) => Math.abs(a.x - b.x) < (a.w + b.w) / 2 + 2 && Math.abs(a.y - b.y) < h + 2);
  return labels.map((l) => {
    let at = { ...l };
    for (let k = 1; overlaps(at) && k <= 12; k++) at = { ...l, y: l.y + (k % 2 ? 1 : -1) * Math.ceil(k / 2) * (h + 3) };
    placed.push(at);
    return [at.x, at.y];
  });
}
