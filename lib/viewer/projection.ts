/**
 * Drawing on the video: the PHALP pinhole camera (PHALP.md section 3) and the mapping from video
 * pixels to the CSS pixels of a <video> element shown with object-fit: contain.
 */
import type { CameraTranslation, Intrinsics } from '../pose/types';

/**
 * Projects model-space joints (J*3, OpenCV axes) plus the camera translation into original video
 * pixels, writing J*2 values into `out`. Points at or behind the camera get NaN.
 */
export function projectPoints(points: ArrayLike<number>, camera: CameraTranslation, k: Intrinsics, out: Float32Array | Float64Array): void {
  const n = Math.floor(points.length / 3);
  for (let j = 0; j < n; j++) {
    const x = points[3 * j] + camera.tx;
    const y = points[3 * j + 1] + camera.ty;
    const z = points[3 * j + 2] + camera.tz;
    if (z <= 1e-6) {
      out[2 * j] = NaN;
      out[2 * j + 1] = NaN;
      continue;
    }
    out[2 * j] = (k.fx * x) / z + k.cx;
    out[2 * j + 1] = (k.fy * y) / z + k.cy;
  }
}

/** Where the picture sits inside an element of the given CSS size (object-fit: contain, centred). */
export interface ContentRect {
  left: number;
  top: number;
  width: number;
  height: number;
  /** CSS pixels per video pixel */
  scale: number;
}

export function containRect(elementWidth: number, elementHeight: number, videoWidth: number, videoHeight: number): ContentRect {
  if (videoWidth <= 0 || videoHeight <= 0 || elementWidth <= 0 || elementHeight <= 0) {
    return { left: 0, top: 0, width: elementWidth, height: elementHeight, scale: 1 };
  }
  const scale = Math.min(elementWidth / videoWidth, elementHeight / videoHeight);
  const width = videoWidth * scale;
  const height = videoHeight * scale;
  return { left: (elementWidth - width) / 2, top: (elementHeight - height) / 2, width, height, scale };
}

/** Video pixel -> element CSS pixel. */
export function videoToElement(rect: ContentRect, u: number, v: number): [number, number] {
  return [rect.left + u * rect.scale, rect.top + v * rect.scale];
}
