/**
 * Smooth vertex normals of an indexed triangle mesh, straight on typed arrays.
 *
 * three.js's BufferGeometry.computeVertexNormals does the same through per-vertex accessor calls
 * (Vector3.fromBufferAttribute, setXYZ); for two 6890-vertex bodies on every frame of playback that
 * generic path was a large share of the frame budget. Face normals are not normalised before they
 * are summed, so each face weighs by its area (as three.js does).
 */
export function computeNormals(positions: Float32Array, faces: Uint32Array | Uint16Array, out: Float32Array): void {
  out.fill(0);
  for (let t = 0; t < faces.length; t += 3) {
    const a = 3 * faces[t], b = 3 * faces[t + 1], c = 3 * faces[t + 2];
    const ax = positions[a], ay = positions[a + 1], az = positions[a + 2];
    const e1x = positions[b] - ax, e1y = positions[b + 1] - ay, e1z = positions[b + 2] - az;
    const e2x = positions[c] - ax, e2y = positions[c + 1] - ay, e2z = positions[c + 2] - az;
    // (c - b) x (a - b) has the same direction as (b - a) x (c - a): three.js's winding convention
    const nx = e1y * e2z - e1z * e2y;
    const ny = e1z * e2x - e1x * e2z;
    const nz = e1x * e2y - e1y * e2x;
    out[a] += nx; out[a + 1] += ny; out[a + 2] += nz;
    out[b] += nx; out[b + 1] += ny; out[b + 2] += nz;
    out[c] += nx; out[c + 1] += ny; out[c + 2] += nz;
  }
  for (let i = 0; i < out.length; i += 3) {
    const len = Math.hypot(out[i], out[i + 1], out[i + 2]);
    if (len > 0) {
      out[i] /= len; out[i + 1] /= len; out[i + 2] /= len;
    }
  }
}
