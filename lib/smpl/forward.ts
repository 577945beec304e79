/**
 * The SMPL forward pass (browser + Node: no node: imports), step by step as smplx's lbs() does it
 * (PHALP.md section 5):
 *   v_shaped = v_template + shapedirs . betas          J = J_regressor . v_shaped
 *   feature  = flatten(R_1..R_{J-1} - I)               v_posed = v_shaped + posedirs . feature
 *   G_0 = [R_0 | J_0],  G_i = G_parent(i) . [R_i | J_i - J_parent(i)]
 *   A_i = [G_i.R | G_i.t - G_i.R . J_i]                v = sum_i w[v,i] A_i . v_posed
 * No translation is applied (PHALP's `camera` moves the result into camera space).
 *
 * Speed: the shape part (v_shaped, J) depends on betas only and is cached per betas; the pose and
 * shape blend shape products run in WebAssembly SIMD (lib/smpl/blend-kernel.ts); skinning reads only
 * each vertex's non-zero weights. Outputs go into caller-provided buffers: no allocation per call.
 * Precision: model arrays are float32; the blend shape products accumulate in float32 (offsets of a
 * few cm: rounding ~1e-9 m), everything else is float64.
 */
import { numPoseFeatures, type SmplModel } from './model';
import { createBlendKernel, type BlendKernel } from './blend-kernel';

/** One person's SMPL parameters (lib/pose/types' SmplParams fits): rotation MATRICES, row-major. */
export interface SmplPoseParams {
  /** 9 values: the root's rotation matrix. */
  global_orient: ArrayLike<number>;
  /** (numJoints-1)*9 values: joints 1.. rotation matrices, relative to their parent. */
  body_pose: ArrayLike<number>;
  /** shape coefficients; missing ones count as 0, extra ones beyond the model's are ignored. */
  betas: ArrayLike<number>;
}

export interface SmplEvaluatorOptions {
  /** apply pose-dependent corrective blend shapes (default true; false is ~5x cheaper and less exact). */
  poseBlendShapes?: boolean;
  /** 'auto' (default): WebAssembly SIMD when available, else JavaScript. */
  kernel?: 'auto' | 'wasm' | 'js';
  /** how many distinct betas to keep the shaped body for (default 8: a few tracks on screen). */
  shapeCacheSize?: number;
}

/** The betas-dependent part of the body, shared by every frame with the same betas. */
export interface SmplShape {
  betas: Float64Array;
  /** V*3 shaped rest vertices. */
  vShaped: Float64Array;
  /** J*3 rest joint positions regressed from vShaped. */
  restJoints: Float64Array;
}

export class SmplEvaluator {
  readonly model: SmplModel;
  /** which pose blend implementation runs; 'none' when pose blend shapes are off. */
  readonly kernelKind: 'wasm' | 'js' | 'none';
  private readonly kernel: BlendKernel | null;
  /** the same product for the shape blend shapes (betas as the features) */
  private readonly shapeKernel: BlendKernel;
  private readonly cacheSize: number;
  private readonly cache: SmplShape[] = []; // most recently used first
  private readonly feature: Float64Array;
  private readonly worldRot: Float64Array; // J x 9
  private readonly worldTrans: Float64Array; // J x 3
  private readonly skinning: Float64Array; // J x 12, row-major 3x4

  constructor(model: SmplModel, options: SmplEvaluatorOptions = {}) {
    this.model = model;
    const rows = model.numVertices * 3;
    this.kernel = options.poseBlendShapes === false ? null : createBlendKernel(model.posedirs, rows, numPoseFeatures(model), options.kernel);
    this.kernelKind = this.kernel?.kind ?? 'none';
    // PHALP predicts betas per frame, so shapes are recomputed often: same SIMD product, betas-major.
    const betasMajor = new Float32Array(rows * model.numBetas);
    for (let r = 0; r < rows; r++) for (let b = 0; b < model.numBetas; b++) betasMajor[b * rows + r] = model.shapedirs[r * model.numBetas + b];
    this.shapeKernel = createBlendKernel(betasMajor, rows, model.numBetas, options.kernel === 'js' ? 'js' : 'auto');
    this.cacheSize = Math.max(1, options.shapeCacheSize ?? 8);
    this.feature = new Float64Array(numPoseFeatures(model));
    this.worldRot = new Float64Array(model.numJoints * 9);
    this.worldTrans = new Float64Array(model.numJoints * 3);
    this.skinning = new Float64Array(model.numJoints * 12);
  }

  /** Buffers of the right size for `forward`. */
  allocateOutputs(): { vertices: Float32Array; joints: Float32Array } {
    return { vertices: new Float32Array(this.model.numVertices * 3), joints: new Float32Array(this.model.numJoints * 3) };
  }

  /**
   * Posed vertices (V*3) and, if a buffer is given, posed joints (J*3), model space, metres.
   * Throws on wrong input lengths or buffer sizes.
   */
  forward(params: SmplPoseParams, vertices: Float32Array, joints?: Float32Array): void {
    const { model } = this;
    const J = model.numJoints;
    const V = model.numVertices;
    if (params.global_orient.length !== 9) throw new Error(`global_orient has ${params.global_orient.length} values, expected 9`);
    if (params.body_pose.length !== (J - 1) * 9) throw new Error(`body_pose has ${params.body_pose.length} values, expected ${(J - 1) * 9}`);
    if (vertices.length !== V * 3) throw new Error(`vertices buffer has ${vertices.length} values, expected ${V * 3}`);
    if (joints && joints.length !== J * 3) throw new Error(`joints buffer has ${joints.length} values, expected ${J * 3}`);

    const shape = this.shape(params.betas);
    const rest = shape.restJoints;
    const R = this.worldRot;
    const T = this.worldTrans;
    const A = this.skinning;
    const go = params.global_orient;
    const bp = params.body_pose;

    // Kinematic chain: world rotation/translation of each joint (parents come first).
    for (let e = 0; e < 9; e++) R[e] = go[e];
    T[0] = rest[0];
    T[1] = rest[1];
    T[2] = rest[2];
    for (let j = 1; j < J; j++) {
      const p = model.parents[j];
      const lo = (j - 1) * 9; // local rotation of joint j in body_pose
      const rp = p * 9;
      const rj = j * 9;
      for (let r = 0; r < 3; r++) {
        const a0 = R[rp + r * 3];
        const a1 = R[rp + r * 3 + 1];
        const a2 = R[rp + r * 3 + 2];
        for (let c = 0; c < 3; c++) R[rj + r * 3 + c] = a0 * bp[lo + c] + a1 * bp[lo + 3 + c] + a2 * bp[lo + 6 + c];
      }
      const dx = rest[j * 3] - rest[p * 3];
      const dy = rest[j * 3 + 1] - rest[p * 3 + 1];
      const dz = rest[j * 3 + 2] - rest[p * 3 + 2];
      for (let r = 0; r < 3; r++) T[j * 3 + r] = R[rp + r * 3] * dx + R[rp + r * 3 + 1] * dy + R[rp + r * 3 + 2] * dz + T[p * 3 + r];
    }
    // Skinning transforms: move rest-pose points relative to each joint, then to its world place.
    for (let j = 0; j < J; j++) {
      const jx = rest[j * 3];
      const jy = rest[j * 3 + 1];
      const jz = rest[j * 3 + 2];
      for (let r = 0; r < 3; r++) {
        const r0 = R[j * 9 + r * 3];
        const r1 = R[j * 9 + r * 3 + 1];
        const r2 = R[j * 9 + r * 3 + 2];
        A[j * 12 + r * 4] = r0;
        A[j * 12 + r * 4 + 1] = r1;
        A[j * 12 + r * 4 + 2] = r2;
        A[j * 12 + r * 4 + 3] = T[j * 3 + r] - (r0 * jx + r1 * jy + r2 * jz);
      }
    }
    if (joints) for (let i = 0; i < J * 3; i++) joints[i] = T[i];

    // Pose blend shapes.
    let offsets: Float32Array | null = null;
    if (this.kernel) {
      const f = this.feature;
      for (let j = 1; j < J; j++) {
        const lo = (j - 1) * 9;
        for (let e = 0; e < 9; e++) f[lo + e] = bp[lo + e] - (e % 4 === 0 ? 1 : 0);
      }
      offsets = this.kernel.compute(f);
    }

    // Linear blend skinning over each vertex's non-zero weights.
    const vs = shape.vShaped;
    const { offsets: start, joints: wj, weights: ww } = model.skin;
    for (let v = 0; v < V; v++) {
      let m0 = 0, m1 = 0, m2 = 0, m3 = 0, m4 = 0, m5 = 0, m6 = 0, m7 = 0, m8 = 0, m9 = 0, m10 = 0, m11 = 0;
      for (let k = start[v], end = start[v + 1]; k < end; k++) {
        const w = ww[k];
        const a = wj[k] * 12;
        m0 += w * A[a];
        m1 += w * A[a + 1];
        m2 += w * A[a + 2];
        m3 += w * A[a + 3];
        m4 += w * A[a + 4];
        m5 += w * A[a + 5];
        m6 += w * A[a + 6];
        m7 += w * A[a + 7];
        m8 += w * A[a + 8];
        m9 += w * A[a + 9];
        m10 += w * A[a + 10];
        m11 += w * A[a + 11];
      }
      const i = v * 3;
      let x = vs[i];
      let y = vs[i + 1];
      let z = vs[i + 2];
      if (offsets) {
        x += offsets[i];
        y += offsets[i + 1];
        z += offsets[i + 2];
      }
      vertices[i] = m0 * x + m1 * y + m2 * z + m3;
      vertices[i + 1] = m4 * x + m5 * y + m6 * z + m7;
      vertices[i + 2] = m8 * x + m9 * y + m10 * z + m11;
    }
  }

  /**
   * The shaped rest body for these betas (cached; treat as read-only). Its buffers are recycled once
   * `shapeCacheSize` other betas have been used since: copy what you keep.
   */
  shape(betas: ArrayLike<number>): SmplShape {
    const nb = this.model.numBetas;
    const beta = (b: number) => (b < betas.length ? betas[b] : 0);
    for (let i = 0; i < this.cache.length; i++) {
      const entry = this.cache[i];
      let same = true;
      for (let b = 0; b < nb && same; b++) same = entry.betas[b] === beta(b);
      if (same) {
        if (i > 0) {
          this.cache.splice(i, 1);
          this.cache.unshift(entry);
        }
        return entry;
      }
    }
    // PHALP predicts betas per frame, so misses are common: recycle the evicted entry's buffers
    // instead of allocating 160 KB per frame.
    const entry = this.cache.length >= this.cacheSize ? this.cache.pop()! : newShape(this.model);
    for (let b = 0; b < nb; b++) entry.betas[b] = beta(b);
    computeShape(this.model, entry, this.shapeKernel.compute(entry.betas));
    this.cache.unshift(entry);
    return entry;
  }
}

function newShape(model: SmplModel): SmplShape {
  return {
    betas: new Float64Array(model.numBetas),
    vShaped: new Float64Array(model.numVertices * 3),
    restJoints: new Float64Array(model.numJoints * 3),
  };
}

/** Fill `shape.vShaped` and `shape.restJoints`; `offsets` = shapedirs . betas (V*3). */
function computeShape(model: SmplModel, shape: SmplShape, offsets: Float32Array): void {
  const { numVertices: V, numJoints: J, vTemplate, jRegressor } = model;
  const { vShaped, restJoints } = shape;
  for (let r = 0; r < V * 3; r++) vShaped[r] = vTemplate[r] + offsets[r];
  for (let j = 0; j < J; j++) {
    let x = 0, y = 0, z = 0;
    for (let k = jRegressor.rowPtr[j]; k < jRegressor.rowPtr[j + 1]; k++) {
      const w = jRegressor.values[k];
      const c = jRegressor.colIdx[k] * 3;
      x += w * vShaped[c];
      y += w * vShaped[c + 1];
      z += w * vShaped[c + 2];
    }
    restJoints[j * 3] = x;
    restJoints[j * 3 + 1] = y;
    restJoints[j * 3 + 2] = z;
  }
}
