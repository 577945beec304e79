import { tf, type GraphModelLike } from './tf';
import { roiFromAlignment, type Roi } from './roi';
import type { Box } from '../../../lib/pose/tracking';

/**
 * Person finder: MoveNet MultiPose (up to 6 people, 17 COCO keypoints, 2D) on the frame scaled to a
 * `longSide`-pixel long side. Its job is only to say where people are; BlazePose then measures each one
 * (and rejects what is not a person, so the score threshold here is low). On the sample clip a 384 px
 * input finds the person on the wall against the low sun in frames where 256 px misses them.
 */
export interface Detection {
  score: number;
  /** working-image pixels */
  box: Box;
  /** start region for BlazePose */
  roi: Roi;
}

export class MultiPoseDetector {
  constructor(
    private readonly model: GraphModelLike,
    private readonly longSide = 384,
    private readonly minScore = 0.2,
  ) {}

  async detect(rgb: Uint8Array, width: number, height: number): Promise<Detection[]> {
    const s = this.longSide / Math.max(width, height);
    const rw = Math.round(width * s), rh = Math.round(height * s);
    const pw = Math.ceil(rw / 32) * 32, ph = Math.ceil(rh / 32) * 32;
    const res = tf.tidy(() => {
      const img = tf.tensor3d(rgb, [height, width, 3], 'int32');
      const small = tf.image.resizeBilinear(img, [rh, rw]);
      return tf.pad(small, [[0, ph - rh], [0, pw - rw], [0, 0]]).cast('int32').expandDims(0);
    });
    const out = this.model.execute(res) as tf.Tensor;
    res.dispose();
    const data = (await out.data()) as Float32Array;
    out.dispose();

    // normalised (padded input) -> working pixels
    const sx = pw / s, sy = ph / s;
    const found: Detection[] = [];
    for (let p = 0; p < data.length / 56; p++) {
      const o = p * 56;
      const score = data[o + 55];
      if (score < this.minScore) continue;
      const kp = (k: number) => ({ x: data[o + 3 * k + 1] * sx, y: data[o + 3 * k] * sy, score: data[o + 3 * k + 2] });
      const x0 = data[o + 52] * sx, y0 = data[o + 51] * sy, x1 = data[o + 54] * sx, y1 = data[o + 53] * sy;
      const box: Box = [x0, y0, x1 - x0, y1 - y0];
      found.push({ score, box, roi: roiFromKeypoints(Array.from({ length: 17 }, (_, k) => kp(k)), box) });
    }
    return found;
  }
}

/** A BlazePose start region from COCO keypoints: centred on the hips, upright along hips->shoulders. */
function roiFromKeypoints(kps: { x: number; y: number; score: number }[], box: Box): Roi {
  const ok = (k: number) => kps[k].score > 0.2;
  const mid = (a: number, b: number) => ({ x: (kps[a].x + kps[b].x) / 2, y: (kps[a].y + kps[b].y) / 2 });
  const centre = ok(11) && ok(12) ? mid(11, 12) : { x: box[0] + box[2] / 2, y: box[1] + box[3] / 2 };
  let radius = 0.5 * Math.max(box[2], box[3]);
  for (const k of kps) if (k.score > 0.2) radius = Math.max(radius, 1.15 * Math.hypot(k.x - centre.x, k.y - centre.y));
  // direction of "up" for the body: hips -> shoulders when both are seen, else image up
  let ux = 0, uy = -1;
  if (ok(5) && ok(6) && ok(11) && ok(12)) {
    const sh = mid(5, 6);
    const len = Math.hypot(sh.x - centre.x, sh.y - centre.y);
    if (len > 1) { ux = (sh.x - centre.x) / len; uy = (sh.y - centre.y) / len; }
  }
  return roiFromAlignment(centre, { x: centre.x + ux * radius, y: centre.y + uy * radius });
}
