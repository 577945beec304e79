/**
 * The SMPL body model as the forward pass uses it (browser-safe: no node: imports).
 *
 * Arrays are laid out for the forward pass (lib/smpl/forward.ts), not as in the model file:
 * - `posedirs` is feature-major: posedirs[p * numVertices * 3 + v * 3 + c] (207 rows of V*3), so the
 *   pose blend shape product is 207 passes of "offsets += feature[p] * row p" over contiguous memory
 *   (what smplx computes as pose_feature @ posedirs with posedirs reshaped to (207, V*3)).
 * - `shapedirs` keeps the file's order, [vertex][xyz][beta], truncated to `numBetas` betas: it is
 *   applied once per body shape (cached), its speed barely matters.
 * - skinning weights are kept dense (`weights`, V x J, as in the file) AND as per-vertex lists of
 *   their non-zero entries (`skin`): SMPL vertices have a handful of non-zero weights out of 24.
 * - `jRegressor` is sparse (CSR): the real one has a few hundred non-zeros out of 24 x 6890.
 */

/** Compressed sparse rows: row r's entries are colIdx/values[rowPtr[r] .. rowPtr[r+1]). */
export interface CsrMatrix {
  rows: number;
  cols: number;
  rowPtr: Uint32Array;
  colIdx: Uint32Array;
  values: Float32Array;
}

/** Non-zero skinning weights per vertex: vertex v's are joints/weights[offsets[v] .. offsets[v+1]). */
export interface SparseSkinWeights {
  offsets: Uint32Array;
  joints: Uint8Array;
  weights: Float32Array;
}

export interface SmplModel {
  numVertices: number; // 6890 for SMPL
  numJoints: number; // 24
  numBetas: number; // shape coefficients kept (at most MAX_BETAS)
  /** V*3 rest-pose vertices, metres (SMPL axes: y up, z forward). */
  vTemplate: Float32Array;
  /** V*3*numBetas, [vertex][xyz][beta]. */
  shapedirs: Float32Array;
  /** (numJoints-1)*9 rows of V*3, feature-major (see above). */
  posedirs: Float32Array;
  /** numJoints x numVertices. */
  jRegressor: CsrMatrix;
  /** V*numJoints dense, [vertex][joint]. */
  weights: Float32Array;
  /** The non-zero entries of `weights`, per vertex (what the skinning loop reads). */
  skin: SparseSkinWeights;
  /** parent joint of each joint; -1 for the root; parents[j] < j. */
  parents: Int32Array;
  /** F*3 vertex indices, triangles. */
  faces: Uint32Array;
}

/** Shape coefficients kept from the file (PHALP/HMR2 predict 10; some model files carry 300). */
export const MAX_BETAS = 10;

export type SmplModelErrorCode = 'not_found' | 'unreadable' | 'invalid';

/** A body model file that is missing or is not a usable SMPL model. `message` is meant for the user. */
export class SmplModelError extends Error {
  constructor(
    message: string,
    readonly code: SmplModelErrorCode,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SmplModelError';
  }
}

/** Number of pose-feature values (rotation matrix entries minus identity of joints 1..J-1). */
export function numPoseFeatures(model: Pick<SmplModel, 'numJoints'>): number {
  return (model.numJoints - 1) * 9;
}
