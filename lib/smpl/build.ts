/**
 * Turn the arrays of a model file (pickle or npz, already decoded) into an SmplModel, checking every
 * shape: a wrong file must fail here with a message naming what is wrong, not draw garbage later.
 * Browser-safe (no node: imports).
 */
import { MAX_BETAS, SmplModelError, type CsrMatrix, type SmplModel, type SparseSkinWeights } from './model';

export type NumericData = ArrayLike<number> | BigInt64Array | BigUint64Array;

/** A dense array in C order (numpy's shape). lib/pickle's NDArray and lib/smpl/npy's NpyArray fit. */
export interface SourceArray {
  shape: readonly number[];
  data: NumericData;
}

/** A scipy.sparse matrix's arrays (csc_matrix as in the SMPL file; csr accepted too). */
export interface SourceSparse {
  format: 'csc' | 'csr';
  shape: readonly [number, number];
  data: NumericData;
  indices: NumericData;
  indptr: NumericData;
}

/** The model file's entries the forward pass needs, under the file's key names. */
export interface SmplSource {
  v_template: SourceArray;
  shapedirs: SourceArray;
  posedirs: SourceArray;
  J_regressor: SourceArray | SourceSparse;
  weights: SourceArray;
  kintree_table: SourceArray;
  f: SourceArray;
}

export const SMPL_SOURCE_KEYS = ['v_template', 'shapedirs', 'posedirs', 'J_regressor', 'weights', 'kintree_table', 'f'] as const;

function asNumbers(data: NumericData): ArrayLike<number> {
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) return Float64Array.from(data, Number);
  return data;
}

function isSparse(a: SourceArray | SourceSparse): a is SourceSparse {
  return 'indptr' in a;
}

export function buildSmplModel(source: SmplSource, sourceName: string): SmplModel {
  const fail = (what: string): never => {
    throw new SmplModelError(`${sourceName} is not a usable SMPL body model: ${what}`, 'invalid');
  };
  const shapeOf = (key: string, a: SourceArray, dims: number) => {
    if (a.shape.length !== dims) fail(`'${key}' has shape (${a.shape.join(', ')}), expected ${dims} dimensions`);
    const size = a.shape.reduce((x, y) => x * y, 1);
    if (a.data.length !== size) fail(`'${key}' holds ${a.data.length} values for shape (${a.shape.join(', ')})`);
    return a.shape;
  };
  const expectShape = (key: string, a: SourceArray, expected: (number | null)[]) => {
    const shape = shapeOf(key, a, expected.length);
    expected.forEach((n, i) => {
      if (n !== null && shape[i] !== n) fail(`'${key}' has shape (${shape.join(', ')}), expected (${expected.map((e) => e ?? '*').join(', ')})`);
    });
    return shape;
  };

  const [numVertices] = expectShape('v_template', source.v_template, [null, 3]);
  if (numVertices === 0) fail(`'v_template' is empty`);
  const [, numJoints] = expectShape('weights', source.weights, [numVertices, null]);
  if (numJoints < 1 || numJoints > 255) fail(`'weights' has ${numJoints} joints`);
  const [, , fileBetas] = expectShape('shapedirs', source.shapedirs, [numVertices, 3, null]);
  if (fileBetas < 1) fail(`'shapedirs' has no shape components`);
  const numPose = (numJoints - 1) * 9;
  expectShape('posedirs', source.posedirs, [numVertices, 3, numPose]);
  expectShape('kintree_table', source.kintree_table, [2, numJoints]);
  const [numFaces] = expectShape('f', source.f, [null, 3]);

  const vTemplate = Float32Array.from(asNumbers(source.v_template.data));
  if (!vTemplate.every(Number.isFinite)) fail(`'v_template' has non-finite values`);

  const numBetas = Math.min(fileBetas, MAX_BETAS);
  const shapedirs = new Float32Array(numVertices * 3 * numBetas);
  const sd = asNumbers(source.shapedirs.data);
  for (let row = 0; row < numVertices * 3; row++) {
    for (let b = 0; b < numBetas; b++) shapedirs[row * numBetas + b] = sd[row * fileBetas + b];
  }

  const posedirs = transposeToFeatureMajor(asNumbers(source.posedirs.data), numVertices * 3, numPose);

  let jRegressor: CsrMatrix;
  if (isSparse(source.J_regressor)) {
    jRegressor = sparseToCsr(source.J_regressor, numJoints, numVertices, fail);
  } else {
    expectShape('J_regressor', source.J_regressor, [numJoints, numVertices]);
    jRegressor = denseToCsr(asNumbers(source.J_regressor.data), numJoints, numVertices);
  }

  const weights = Float32Array.from(asNumbers(source.weights.data));
  if (!weights.every(Number.isFinite)) fail(`'weights' has non-finite values`);

  // Row 0 holds the parents. Python 2 era files store the root's -1 as an unsigned 4294967295.
  const kintree = asNumbers(source.kintree_table.data);
  const parents = new Int32Array(numJoints);
  for (let j = 0; j < numJoints; j++) {
    const p = kintree[j];
    if (j === 0) {
      if (p >= 0 && p < numJoints) fail(`'kintree_table' gives the root joint a parent (${p})`);
      parents[0] = -1;
    } else {
      // The forward pass walks joints in index order: every parent must come before its child.
      if (!(Number.isInteger(p) && p >= 0 && p < j)) fail(`'kintree_table' gives joint ${j} the parent ${p}`);
      parents[j] = p;
    }
  }

  const faceData = asNumbers(source.f.data);
  const faces = new Uint32Array(numFaces * 3);
  for (let i = 0; i < faces.length; i++) {
    const v = faceData[i];
    if (!(Number.isInteger(v) && v >= 0 && v < numVertices)) fail(`'f' references vertex ${v} of ${numVertices}`);
    faces[i] = v;
  }

  return {
    numVertices,
    numJoints,
    numBetas,
    vTemplate,
    shapedirs,
    posedirs,
    jRegressor,
    weights,
    skin: sparseSkinWeights(weights, numVertices, numJoints),
    parents,
    faces,
  };
}

/** [row][feature] (the file's [vertex][xyz][feature]) -> [feature][row], in cache-friendly blocks. */
function transposeToFeatureMajor(src: ArrayLike<number>, rows: number, features: number): Float32Array {
  const dst = new Float32Array(rows * features);
  const block = 64;
  for (let r0 = 0; r0 < rows; r0 += block) {
    const r1 = Math.min(rows, r0 + block);
    for (let p = 0; p < features; p++) {
      const out = p * rows;
      for (let r = r0; r < r1; r++) dst[out + r] = src[r * features + p];
    }
  }
  return dst;
}

export function sparseSkinWeights(weights: Float32Array, numVertices: number, numJoints: number): SparseSkinWeights {
  const offsets = new Uint32Array(numVertices + 1);
  let nnz = 0;
  for (let v = 0; v < numVertices; v++) {
    for (let j = 0; j < numJoints; j++) if (weights[v * numJoints + j] !== 0) nnz++;
    offsets[v + 1] = nnz;
  }
  const joints = new Uint8Array(nnz);
  const values = new Float32Array(nnz);
  let k = 0;
  for (let v = 0; v < numVertices; v++) {
    for (let j = 0; j < numJoints; j++) {
      const w = weights[v * numJoints + j];
      if (w !== 0) {
        joints[k] = j;
        values[k++] = w;
      }
    }
  }
  return { offsets, joints, weights: values };
}

function denseToCsr(data: ArrayLike<number>, rows: number, cols: number): CsrMatrix {
  const rowPtr = new Uint32Array(rows + 1);
  const colIdx: number[] = [];
  const values: number[] = [];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const x = data[r * cols + c];
      if (x !== 0) {
        colIdx.push(c);
        values.push(x);
      }
    }
    rowPtr[r + 1] = colIdx.length;
  }
  return { rows, cols, rowPtr, colIdx: Uint32Array.from(colIdx), values: Float32Array.from(values) };
}

function sparseToCsr(m: SourceSparse, rows: number, cols: number, fail: (what: string) => never): CsrMatrix {
  if (m.shape[0] !== rows || m.shape[1] !== cols) fail(`'J_regressor' has shape (${m.shape.join(', ')}), expected (${rows}, ${cols})`);
  const data = asNumbers(m.data);
  const indices = asNumbers(m.indices);
  const indptr = asNumbers(m.indptr);
  // csc: indptr runs over columns and indices are rows; csr: the other way round.
  const outer = m.format === 'csc' ? cols : rows;
  const inner = m.format === 'csc' ? rows : cols;
  if (indptr.length !== outer + 1 || indices.length !== data.length || indptr[outer] !== data.length) {
    fail(`'J_regressor' is a malformed ${m.format} matrix`);
  }
  const triples: [number, number, number][] = [];
  for (let o = 0; o < outer; o++) {
    for (let k = indptr[o]; k < indptr[o + 1]; k++) {
      const i = indices[k];
      if (!(i >= 0 && i < inner)) fail(`'J_regressor' has index ${i} out of range`);
      if (data[k] !== 0) triples.push(m.format === 'csc' ? [i, o, data[k]] : [o, i, data[k]]);
    }
  }
  triples.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const rowPtr = new Uint32Array(rows + 1);
  for (const [r] of triples) rowPtr[r + 1]++;
  for (let r = 0; r < rows; r++) rowPtr[r + 1] += rowPtr[r];
  return {
    rows,
    cols,
    rowPtr,
    colIdx: Uint32Array.from(triples, (t) => t[1]),
    values: Float32Array.from(triples, (t) => t[2]),
  };
}
