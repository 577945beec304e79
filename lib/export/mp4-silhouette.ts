/**
 * The MP4 export's body silhouette: a person's SMPL mesh (lib/smpl/forward.ts) projected into the video
 * with the PHALP camera the player uses (model space + `camera`, then the clip's intrinsics: what
 * VideoPane draws as the mesh silhouette on a paused frame), reduced to an outline that libass fills.
 *
 * Per person-frame: forward pass (6,890 vertices), projection, the 13,776 triangles rasterised into a
 * mask at `scale` of the video's size (only the person's box of it), its outline traced with marching
 * squares (d3-contour), simplified (simplify-js, Douglas-Peucker), and written as an ASS vector drawing
 * (one `m … l …` per ring; holes, e.g. between an arm and the body, come as rings of the opposite
 * winding, so they stay open under libass's fill rule). The cost figure is in README (Export: mp4).
 *
 * Where it applies: PHALP results (SMPL parameters and a camera per person-frame) with the user's SMPL
 * model file. Without the model, for a CPU-runner clip (no SMPL, no camera) or a clip without
 * intrinsics, `outline` gives null and the overlay is the skeleton alone.
 */
import { contours } from 'd3-contour';
import simplify from 'simplify-js';
import type { SmplEvaluator } from '../smpl/forward';
import type { Intrinsics, PersonPose } from '../pose/types';
import { projectPoints } from '../viewer/projection';

export interface SilhouetteOptions {
  /** mask pixels per video pixel at most (default 1/2; less for a large person, see maxCells) */
  scale?: number;
  /** outline simplification tolerance, in mask pixels (default 0.5) */
  tolerance?: number;
  /**
   * the most mask pixels one person's box may take (default 10,000, e.g. 80 x 125): a person larger
   * than that on screen is traced at a coarser scale, so that no person-frame costs more than this
   */
  maxCells?: number;
}

/** One person's outline: rings of [x, y] video pixels (outer rings and holes, opposite windings). */
export type Outline = [number, number][][];

export class SilhouetteTracer {
  private readonly vertices: Float32Array;
  private readonly uv: Float64Array;
  private mask = new Uint8Array(0);
  private readonly scale: number;
  private readonly tolerance: number;
  private readonly maxCells: number;

  constructor(
    private readonly evaluator: SmplEvaluator,
    private readonly intrinsics: Intrinsics,
    private readonly width: number,
    private readonly height: number,
    opts: SilhouetteOptions = {},
  ) {
    this.scale = opts.scale ?? 0.5;
    this.tolerance = opts.tolerance ?? 0.5;
    this.maxCells = opts.maxCells ?? 10000;
    this.vertices = evaluator.allocateOutputs().vertices;
    this.uv = new Float64Array((this.vertices.length / 3) * 2);
  }

  /** The person's silhouette in video pixels, or null (no SMPL parameters or camera, or nothing on screen). */
  outline(p: PersonPose): Outline | null {
    if (!p.smpl || !p.camera) return null;
    this.evaluator.forward(p.smpl, this.vertices);
    const uv = this.uv;
    projectPoints(this.vertices, p.camera, this.intrinsics, uv);
    // the person's projected box, clipped to the picture (video pixels)
    let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
    for (let i = 0; i < uv.length; i += 2) {
      const x = uv[i], y = uv[i + 1];
      if (!Number.isFinite(x + y)) continue;
      if (x < minX) minX = x;
      if (x > maxX) maxX = x;
      if (y < minY) minY = y;
      if (y > maxY) maxY = y;
    }
    minX = Math.max(0, minX);
    minY = Math.max(0, minY);
    maxX = Math.min(this.width, maxX);
    maxY = Math.min(this.height, maxY);
    if (!(maxX - minX >= 1 && maxY - minY >= 1)) return null; // off the picture (or no finite vertex)
    // mask resolution: `scale`, coarser for a person so large that the mask would pass `maxCells`
    const s = Math.min(this.scale, Math.sqrt(this.maxCells / ((maxX - minX) * (maxY - minY))));
    for (let i = 0; i < uv.length; i++) uv[i] *= s;
    // the mask covers that box, one empty pixel around it so every ring closes inside the mask
    const maskW = Math.ceil(this.width * s), maskH = Math.ceil(this.height * s);
    const x0 = Math.floor(minX * s) - 1;
    const y0 = Math.floor(minY * s) - 1;
    const x1 = Math.min(maskW, Math.ceil(maxX * s)) + 1;
    const y1 = Math.min(maskH, Math.ceil(maxY * s)) + 1;
    const w = x1 - x0, h = y1 - y0;
    if (this.mask.length < w * h) this.mask = new Uint8Array(w * h * 2);
    const mask = this.mask.subarray(0, w * h);
    mask.fill(0);
    const faces = this.evaluator.model.faces;
    const xmax = Math.min(w - 2, maskW - 1 - x0), ymax = Math.min(h - 2, maskH - 1 - y0);
    for (let t = 0; t < faces.length; t += 3) {
      const a = 2 * faces[t], b = 2 * faces[t + 1], c = 2 * faces[t + 2];
      fillTriangle(mask, w, uv[a] - x0, uv[a + 1] - y0, uv[b] - x0, uv[b + 1] - y0, uv[c] - x0, uv[c + 1] - y0, xmax, ymax);
    }
    const shape = contours().size([w, h]).contour(mask as unknown as number[], 0.5);
    const out: Outline = [];
    for (const polygon of shape.coordinates) {
      for (const ring of polygon) {
        const pts = simplify(ring.map(([x, y]) => ({ x, y })), this.tolerance);
        if (pts.length < 4) continue; // first point repeated at the end: a ring needs 3 others
        out.push(pts.slice(0, -1).map(({ x, y }) => [(x + x0) / s, (y + y0) / s]));
      }
    }
    return out.length ? out : null;
  }
}

/**
 * Sets the mask pixels (i, j), 1 <= i <= xmax, 1 <= j <= ymax, whose centre lies in the triangle (either
 * winding; edges count as inside). Triangles with a non-finite corner (behind the camera) are skipped.
 */
function fillTriangle(mask: Uint8Array, w: number, ax: number, ay: number, bx: number, by: number, cx: number, cy: number, xmax: number, ymax: number): void {
  const area = (bx - ax) * (cy - ay) - (by - ay) * (cx - ax);
  if (!(Math.abs(area) > 1e-12)) return; // degenerate or NaN
  const sgn = area > 0 ? 1 : -1;
  const i0 = Math.max(1, Math.ceil(Math.min(ax, bx, cx) - 0.5));
  const i1 = Math.min(xmax, Math.floor(Math.max(ax, bx, cx) - 0.5));
  const j0 = Math.max(1, Math.ceil(Math.min(ay, by, cy) - 0.5));
  const j1 = Math.min(ymax, Math.floor(Math.max(ay, by, cy) - 0.5));
  for (let j = j0; j <= j1; j++) {
    const py = j + 0.5;
    for (let i = i0; i <= i1; i++) {
      const px = i + 0.5;
      const e0 = sgn * ((bx - ax) * (py - ay) - (by - ay) * (px - ax));
      if (e0 < 0) continue;
      const e1 = sgn * ((cx - bx) * (py - by) - (cy - by) * (px - bx));
      if (e1 < 0) continue;
      const e2 = sgn * ((ax - cx) * (py - cy) - (ay - cy) * (px - cx));
      if (e2 < 0) continue;
      mask[j * w + i] = 1;
    }
  }
}

/** An outline as ASS drawing commands at 1/`sub` px (`\p4` is 1/8 px): one `m … l …` per ring. */
export function outlineDrawing(outline: Outline, sub = 8): string {
  const q = (v: number) => Math.round(v * sub);
  return outline.map((ring) => `m ${q(ring[0][0])} ${q(ring[0][1])} l ${ring.slice(1).map(([x, y]) => `${q(x)} ${q(y)}`).join(' ')}`).join(' ');
}
