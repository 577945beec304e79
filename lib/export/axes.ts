import type { Mat3, Vec3 } from './math';

/**
 * Our 3D data uses the camera's OpenCV axes: x right, y down, z forward (away from the camera), metres.
 * BVH (as Blender and most tools read it) and glTF 2.0 are y-up, right-handed, metres. The map is a half
 * turn about x, (x, y, z) -> (x, -y, -z): right stays right, up is up, the camera looks down -z (glTF's
 * camera convention) and the athlete stands in front of it at negative z.
 * Blender then turns y-up files into its z-up world: (x, y, z) -> (x, -z, y), so a keypoint (x, y, z) of
 * ours lands in Blender at (x, z, -y).
 */
export const Y_UP: Mat3 = [1, 0, 0, 0, -1, 0, 0, 0, -1];

export const toYUp = (v: Vec3): Vec3 => [v[0], -v[1], -v[2]];

/** A rotation expressed in y-up axes: C R C (C is its own inverse). */
export function rotationToYUp(r: Mat3): Mat3 {
  return [r[0], -r[1], -r[2], -r[3], r[4], r[5], -r[6], r[7], r[8]];
}

/** Our point (x, y, z) where Blender puts it after importing a y-up BVH/glTF: (x, z, -y). */
export const toBlender = (v: Vec3): Vec3 => [v[0], v[2], -v[1]];
