/**
 * Regions of interest for the BlazePose landmark model, MediaPipe style: a square around the body,
 * centred on the hips and rotated so the body stands upright in the crop. The crop is sampled in JS
 * (bilinear, straight from the packed RGB frame) because tfjs' crop ops cannot rotate.
 */

export interface Roi {
  /** centre, working-image pixels */
  cx: number;
  cy: number;
  /** side of the square, working-image pixels */
  size: number;
  /** radians; 0 = upright */
  angle: number;
}

export interface Point2 { x: number; y: number }

/** MediaPipe's alignment rule: `centre` = hip centre, `scalePoint` = a point whose distance from the
 * centre covers the whole body. The box is 2 * that distance, enlarged by 1.25 for margin. */
export function roiFromAlignment(centre: Point2, scalePoint: Point2, enlarge = 1.25): Roi {
  const dx = scalePoint.x - centre.x;
  const dy = scalePoint.y - centre.y;
  const size = 2 * Math.hypot(dx, dy) * enlarge;
  return { cx: centre.x, cy: centre.y, size, angle: normaliseAngle(Math.PI / 2 - Math.atan2(-dy, dx)) };
}

export function normaliseAngle(a: number): number {
  return a - 2 * Math.PI * Math.floor((a + Math.PI) / (2 * Math.PI));
}

/** Crop pixel (u, v) of an `n`-pixel crop -> working-image pixels. */
export function cropToImage(roi: Roi, n: number, u: number, v: number): Point2 {
  const dx = (u / n - 0.5) * roi.size;
  const dy = (v / n - 0.5) * roi.size;
  const c = Math.cos(roi.angle);
  const s = Math.sin(roi.angle);
  return { x: roi.cx + dx * c - dy * s, y: roi.cy + dx * s + dy * c };
}

/**
 * Samples the rotated square `roi` of a packed RGB image into `out` (n*n*3 floats in 0..1, HWC).
 * Outside the image is black, as MediaPipe pads.
 */
export function sampleRoi(rgb: Uint8Array, width: number, height: number, roi: Roi, n: number, out: Float32Array): void {
  const c = Math.cos(roi.angle);
  const s = Math.sin(roi.angle);
  const step = roi.size / n;
  // image position of crop pixel (0.5, 0.5) and the per-pixel steps along crop u and v
  const ux = c * step, uy = s * step, vx = -s * step, vy = c * step;
  const d0 = (0.5 / n - 0.5) * roi.size;
  let rowX = roi.cx + d0 * c - d0 * s - 0.5;
  let rowY = roi.cy + d0 * s + d0 * c - 0.5;
  const inv = 1 / 255;
  let o = 0;
  for (let v = 0; v < n; v++) {
    let x = rowX, y = rowY;
    for (let u = 0; u < n; u++, x += ux, y += uy, o += 3) {
      const x0 = Math.floor(x), y0 = Math.floor(y);
      if (x0 < -1 || y0 < -1 || x0 >= width || y0 >= height) { out[o] = out[o + 1] = out[o + 2] = 0; continue; }
      const fx = x - x0, fy = y - y0;
      const xa = x0 < 0 ? 0 : x0, xb = x0 + 1 >= width ? width - 1 : x0 + 1;
      const ya = y0 < 0 ? 0 : y0, yb = y0 + 1 >= height ? height - 1 : y0 + 1;
      const i00 = (ya * width + xa) * 3, i01 = (ya * width + xb) * 3, i10 = (yb * width + xa) * 3, i11 = (yb * width + xb) * 3;
      const w00 = (1 - fx) * (1 - fy), w01 = fx * (1 - fy), w10 = (1 - fx) * fy, w11 = fx * fy;
      out[o] = (rgb[i00] * w00 + rgb[i01] * w01 + rgb[i10] * w10 + rgb[i11] * w11) * inv;
      out[o + 1] = (rgb[i00 + 1] * w00 + rgb[i01 + 1] * w01 + rgb[i10 + 1] * w10 + rgb[i11 + 1] * w11) * inv;
      out[o + 2] = (rgb[i00 + 2] * w00 + rgb[i01 + 2] * w01 + rgb[i10 + 2] * w10 + rgb[i11 + 2] * w11) * inv;
    }
    rowX += vx;
    rowY += vy;
  }
}
