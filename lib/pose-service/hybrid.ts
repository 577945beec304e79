import type { PersonJson } from '../frames/api';
import { HttpError } from '../upload';
import { analyseFrameInPool, type FrameJobResult } from './frame-queue';

/**
 * POST /pose/hybrid {image_base64, frame_number}: one image in, one frame's pose out, in the original
 * service's response shape (its API reference and flask_wrapper's pose_hybrid). The original measured
 * the most prominent person with HMR2; here the worker pool's CPU runner (BlazePose) measures everybody
 * in the image (frame-queue.ts), and the original's fields describe the most confident person:
 *  - keypoints[]: {name, x, y, z, confidence} with x, y, z the person's 3D keypoints (metres), as the
 *    original filled them from HMR2's pred_keypoints_3d; names are the joint set's (BlazePose 33);
 *  - camera_translation / camera_full: the person's camera-space translation and the pinhole camera it
 *    is estimated under (focal length = the larger image side);
 *  - camera_params: the equivalent weak-perspective crop camera [s, tx, ty] of that translation for the
 *    person's box (the inverse of HMR2's cam_crop_to_full, with the same focal length);
 *  - mesh_vertices_data / mesh_faces_data: [] (the CPU runner has no body mesh; the original sent the
 *    SMPL mesh); phalp_available: false (a single image is never tracked by PHALP here);
 *  - added: `runner`, `joint_names`, `image_size` and `persons` (everybody, in the frames API's
 *    per-person JSON, with keypoints_2d in image pixels).
 */

/** Largest image accepted (decoded bytes). */
export const MAX_IMAGE_BYTES = 20 * 1024 * 1024;

const IMAGE_MAGIC: { name: string; test: (b: Buffer) => boolean }[] = [
  { name: 'JPEG', test: (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff },
  { name: 'PNG', test: (b) => b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) },
  { name: 'WebP', test: (b) => b.subarray(0, 4).toString('latin1') === 'RIFF' && b.subarray(8, 12).toString('latin1') === 'WEBP' },
  { name: 'BMP', test: (b) => b.subarray(0, 2).toString('latin1') === 'BM' },
];

/** The image bytes of `image_base64` (plain base64 or a data: URL); 400 with the original's wording otherwise. */
export function decodeImage(value: unknown): Buffer {
  if (typeof value !== 'string' || value.trim() === '') throw new HttpError(400, 'Missing image_base64');
  const b64 = value.trim().replace(/^data:[\w/+.-]+;base64,/, '').replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(b64)) throw new HttpError(400, 'Failed to decode image: Invalid base64 string');
  if ((b64.length * 3) / 4 > MAX_IMAGE_BYTES + 3) throw new HttpError(413, `Failed to decode image: larger than ${MAX_IMAGE_BYTES / 1024 / 1024} MB`);
  const bytes = Buffer.from(b64, 'base64');
  if (!IMAGE_MAGIC.some((m) => m.test(bytes))) {
    throw new HttpError(400, `Failed to decode image: not a ${IMAGE_MAGIC.map((m) => m.name).join(', ')} image`);
  }
  return bytes;
}

export function frameNumberOf(value: unknown): number {
  if (value === undefined || value === null) return 0;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw new HttpError(400, `frame_number must be a whole number from 0 (got ${JSON.stringify(value)})`);
  return value;
}

export interface HybridBody {
  frame_number: number;
  keypoints: { name: string; x: number; y: number; z: number; confidence: number }[];
  has_3d: boolean;
  mesh_vertices_data: number[][];
  mesh_faces_data: number[][];
  camera_translation: [number, number, number] | null;
  camera_params: { scale: number; tx: number; ty: number; type: 'weak_perspective' } | null;
  camera_full: { tx: number; ty: number; tz: number; focal_length: number; img_width: number; img_height: number; type: 'perspective' } | null;
  detection: { box_center: [number, number] | null; box_size: number | null; vitdet_used: false; num_persons_detected: number };
  phalp_available: false;
  processing_time_ms: number;
  error: null;
  runner: 'cpu';
  joint_names: string[];
  image_size: { width: number; height: number };
  persons: PersonJson[];
}

/** The original's single-frame answer from a worker's result (pure: tested on its own). */
export function hybridBody(frameNumber: number, r: FrameJobResult): HybridBody {
  const best = [...r.persons].sort((a, b) => (b.confidence ?? 0) - (a.confidence ?? 0))[0] ?? null;
  const f = r.intrinsics.fx;
  let camera_translation: HybridBody['camera_translation'] = null;
  let camera_params: HybridBody['camera_params'] = null;
  let camera_full: HybridBody['camera_full'] = null;
  let box_center: [number, number] | null = null;
  let box_size: number | null = null;
  if (best) {
    const [x, y, w, h] = best.bbox;
    box_center = [x + w / 2, y + h / 2];
    box_size = Math.max(w, h);
    if (best.camera && best.camera.tz > 0 && box_size > 0) {
      const { tx, ty, tz } = best.camera;
      camera_translation = [tx, ty, tz];
      camera_full = { tx, ty, tz, focal_length: f, img_width: r.width, img_height: r.height, type: 'perspective' };
      // cam_crop_to_full: tz = 2f / (b s); tx = 2 (cx - W/2) / (b s) + crop_tx (and ty alike), solved for s, crop_tx, crop_ty
      const bs = (2 * f) / tz;
      camera_params = {
        scale: bs / box_size,
        tx: tx - (2 * (box_center[0] - r.width / 2)) / bs,
        ty: ty - (2 * (box_center[1] - r.height / 2)) / bs,
        type: 'weak_perspective',
      };
    }
  }
  return {
    frame_number: frameNumber,
    keypoints: best
      ? best.keypoints_3d.map(([x, y, z], i) => ({ name: r.joint_names[i] ?? `joint_${i}`, x, y, z, confidence: best.keypoint_scores?.[i] ?? best.confidence ?? 1 }))
      : [],
    has_3d: best !== null,
    mesh_vertices_data: [],
    mesh_faces_data: [],
    camera_translation,
    camera_params,
    camera_full,
    detection: { box_center, box_size, vitdet_used: false, num_persons_detected: r.persons.length },
    phalp_available: false,
    processing_time_ms: r.processing_time_ms,
    error: null,
    runner: r.runner,
    joint_names: r.joint_names,
    image_size: { width: r.width, height: r.height },
    persons: r.persons,
  };
}

export async function poseHybrid(body: Record<string, unknown>): Promise<HybridBody> {
  const image = decodeImage(body.image_base64);
  const frameNumber = frameNumberOf(body.frame_number);
  return hybridBody(frameNumber, await analyseFrameInPool(image, frameNumber));
}
