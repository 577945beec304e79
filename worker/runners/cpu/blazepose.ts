import { tf, type GraphModelLike } from './tf';
import { cropToImage, roiFromAlignment, sampleRoi, type Roi } from './roi';

/** BlazePose GHUM landmark model: 33 body landmarks (+2 alignment points, +4 unused) per 256x256 crop. */
export const INPUT = 256;
export const BODY_POINTS = 33;
// outputs we read; asking for these only skips the segmentation decoder, which costs ~2/3 of the run
const OUTPUTS = ['ld_3d', 'world_3d', 'output_poseflag'];

export interface Landmarks {
  /** pose presence score of the model, 0..1 */
  score: number;
  /** BODY_POINTS * 2, working-image pixels */
  image: Float32Array;
  /** BODY_POINTS * 3, metres, hip-centred, camera-aligned axes (x right, y down, z away from camera) */
  world: Float32Array;
  /** BODY_POINTS, visibility x presence, 0..1 */
  scores: Float32Array;
  /** where to look in the next frame (from the model's alignment points) */
  nextRoi: Roi;
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

export class BlazePoseLandmarks {
  private readonly crop = new Float32Array(INPUT * INPUT * 3);
  constructor(private readonly model: GraphModelLike) {}

  /** Runs the model on `roi` of the frame; `score` says whether a body is there at all. */
  async run(rgb: Uint8Array, width: number, height: number, roi: Roi): Promise<Landmarks> {
    sampleRoi(rgb, width, height, roi, INPUT, this.crop);
    const input = tf.tensor4d(this.crop, [1, INPUT, INPUT, 3]);
    const out = this.model.execute(input, OUTPUTS) as tf.Tensor[];
    input.dispose();
    const [ld, world, flag] = await Promise.all(out.map((t) => t.data() as Promise<Float32Array>));
    tf.dispose(out);

    const image = new Float32Array(BODY_POINTS * 2);
    const worldOut = new Float32Array(BODY_POINTS * 3);
    const scores = new Float32Array(BODY_POINTS);
    // MediaPipe rotates world landmarks by the ROI angle so they stay aligned with the camera
    const c = Math.cos(roi.angle), s = Math.sin(roi.angle);
    for (let i = 0; i < BODY_POINTS; i++) {
      const p = cropToImage(roi, INPUT, ld[5 * i], ld[5 * i + 1]);
      image[2 * i] = p.x;
      image[2 * i + 1] = p.y;
      scores[i] = sigmoid(ld[5 * i + 3]) * sigmoid(ld[5 * i + 4]);
      const wx = world[3 * i], wy = world[3 * i + 1];
      worldOut[3 * i] = wx * c - wy * s;
      worldOut[3 * i + 1] = wx * s + wy * c;
      worldOut[3 * i + 2] = world[3 * i + 2];
    }
    const centre = cropToImage(roi, INPUT, ld[5 * 33], ld[5 * 33 + 1]);
    const top = cropToImage(roi, INPUT, ld[5 * 34], ld[5 * 34 + 1]);
    return { score: flag[0], image, world: worldOut, scores, nextRoi: roiFromAlignment(centre, top) };
  }
}
