/**
 * One compact binary blob of an SmplModel, for the server to send once and the browser to cache
 * (browser-safe). Exact: the model's own float32 values, nothing quantised; the zeros of the skinning
 * weights are dropped (kept as per-vertex lists) and faces are 16-bit when the vertex count allows.
 *
 * Layout (little-endian; every section starts on a 4-byte boundary):
 *   header: 'SMPL' | u32 version | u32 V | u32 J | u32 numBetas | u32 numFaces | u32 jNnz | u32 skinNnz | u32 faceBytes (2|4)
 *   vTemplate f32[V*3] | shapedirs f32[V*3*numBetas] | posedirs f32[(J-1)*9*V*3] (feature-major)
 *   jRegressor: rowPtr u32[J+1], colIdx u32[jNnz], values f32[jNnz]
 *   skin: counts u8[V], joints u8[skinNnz], weights f32[skinNnz]
 *   parents i32[J] | faces u16|u32[numFaces*3]
 * unpackSmplModel returns views into the given bytes when they are 4-byte aligned (no copy): do not
 * modify the bytes afterwards.
 */
import { numPoseFeatures, type SmplModel } from './model';

const MAGIC = 0x4c504d53; // 'SMPL' read as little-endian u32
const VERSION = 1;
const HEADER_WORDS = 9;

const align4 = (n: number) => (n + 3) & ~3;

function sectionSizes(m: { V: number; J: number; nb: number; F: number; jNnz: number; skinNnz: number; faceBytes: number }): number[] {
  const P = (m.J - 1) * 9;
  return [
    m.V * 3 * 4, // vTemplate
    m.V * 3 * m.nb * 4, // shapedirs
    P * m.V * 3 * 4, // posedirs
    (m.J + 1) * 4, // jRegressor.rowPtr
    m.jNnz * 4, // jRegressor.colIdx
    m.jNnz * 4, // jRegressor.values
    m.V, // skin counts
    m.skinNnz, // skin joints
    m.skinNnz * 4, // skin weights
    m.J * 4, // parents
    m.F * 3 * m.faceBytes, // faces
  ];
}

function assertLittleEndian(): void {
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) throw new Error('SMPL model blobs need a little-endian machine');
}

export function packSmplModel(model: SmplModel): Uint8Array {
  assertLittleEndian();
  const V = model.numVertices;
  const J = model.numJoints;
  const F = model.faces.length / 3;
  const faceBytes = V <= 65536 ? 2 : 4;
  const dims = { V, J, nb: model.numBetas, F, jNnz: model.jRegressor.values.length, skinNnz: model.skin.weights.length, faceBytes };
  const sizes = sectionSizes(dims);
  const total = HEADER_WORDS * 4 + sizes.reduce((a, s) => a + align4(s), 0);
  const out = new Uint8Array(total);
  new Uint32Array(out.buffer, 0, HEADER_WORDS).set([MAGIC, VERSION, V, J, model.numBetas, F, dims.jNnz, dims.skinNnz, faceBytes]);

  const counts = new Uint8Array(V);
  for (let v = 0; v < V; v++) counts[v] = model.skin.offsets[v + 1] - model.skin.offsets[v];
  const faces = faceBytes === 2 ? Uint16Array.from(model.faces) : model.faces;
  const parts: ArrayBufferView[] = [
    model.vTemplate,
    model.shapedirs,
    model.posedirs,
    model.jRegressor.rowPtr,
    model.jRegressor.colIdx,
    model.jRegressor.values,
    counts,
    model.skin.joints,
    model.skin.weights,
    model.parents,
    faces,
  ];
  let offset = HEADER_WORDS * 4;
  parts.forEach((part, i) => {
    if (part.byteLength !== sizes[i]) throw new Error(`SMPL model section ${i} has ${part.byteLength} bytes, expected ${sizes[i]}`);
    out.set(new Uint8Array(part.buffer, part.byteOffset, part.byteLength), offset);
    offset += align4(sizes[i]);
  });
  return out;
}

export function unpackSmplModel(bytes: Uint8Array): SmplModel {
  assertLittleEndian();
  const bad = (why: string): never => {
    throw new Error(`not an SMPL model blob: ${why}`);
  };
  if (bytes.byteLength < HEADER_WORDS * 4) bad('too short');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const word = (i: number) => view.getUint32(i * 4, true);
  if (word(0) !== MAGIC) bad('wrong magic');
  if (word(1) !== VERSION) bad(`version ${word(1)}, expected ${VERSION}`);
  const [V, J, nb, F, jNnz, skinNnz, faceBytes] = [2, 3, 4, 5, 6, 7, 8].map(word);
  if (J < 1 || J > 255 || (faceBytes !== 2 && faceBytes !== 4)) bad('bad header');
  const sizes = sectionSizes({ V, J, nb, F, jNnz, skinNnz, faceBytes });
  const total = HEADER_WORDS * 4 + sizes.reduce((a, s) => a + align4(s), 0);
  if (bytes.byteLength !== total) bad(`${bytes.byteLength} bytes, the header promises ${total}`);

  const aligned = bytes.byteOffset % 4 === 0;
  let offset = HEADER_WORDS * 4;
  const next = <T>(make: (buffer: ArrayBufferLike, byteOffset: number, length: number) => T, i: number, elementBytes: number): T => {
    const start = offset;
    offset += align4(sizes[i]);
    const length = sizes[i] / elementBytes;
    if (aligned || elementBytes === 1) return make(bytes.buffer, bytes.byteOffset + start, length);
    const copy = new Uint8Array(sizes[i]); // not bytes.slice(): a Node Buffer's slice shares memory
    copy.set(bytes.subarray(start, start + sizes[i]));
    return make(copy.buffer, 0, length);
  };
  const f32 = (i: number) => next((b, o, n) => new Float32Array(b, o, n), i, 4);
  const u32 = (i: number) => next((b, o, n) => new Uint32Array(b, o, n), i, 4);
  const u8 = (i: number) => next((b, o, n) => new Uint8Array(b, o, n), i, 1);

  const vTemplate = f32(0);
  const shapedirs = f32(1);
  const posedirs = f32(2);
  const jRegressor = { rows: J, cols: V, rowPtr: u32(3), colIdx: u32(4), values: f32(5) };
  const counts = u8(6);
  const skinJoints = u8(7);
  const skinWeights = f32(8);
  const parents = next((b, o, n) => new Int32Array(b, o, n), 9, 4);
  const faces = faceBytes === 2 ? Uint32Array.from(next((b, o, n) => new Uint16Array(b, o, n), 10, 2)) : u32(10);

  // The skinning lists are the only source of the dense weights: rebuild both, checking the lists.
  const skinOffsets = new Uint32Array(V + 1);
  for (let v = 0; v < V; v++) skinOffsets[v + 1] = skinOffsets[v] + counts[v];
  if (skinOffsets[V] !== skinNnz) bad('skinning counts do not add up');
  const weights = new Float32Array(V * J);
  for (let v = 0; v < V; v++) {
    for (let k = skinOffsets[v]; k < skinOffsets[v + 1]; k++) {
      if (skinJoints[k] >= J) bad('skinning joint out of range');
      weights[v * J + skinJoints[k]] = skinWeights[k];
    }
  }
  if (jRegressor.rowPtr[J] !== jNnz || jRegressor.colIdx.some((c) => c >= V)) bad('joint regressor out of range');
  if (parents[0] !== -1 || parents.some((p, j) => j > 0 && !(p >= 0 && p < j))) bad('bad joint parents');
  if (faces.some((i) => i >= V)) bad('face index out of range');
  const model: SmplModel = {
    numVertices: V,
    numJoints: J,
    numBetas: nb,
    vTemplate,
    shapedirs,
    posedirs,
    jRegressor,
    weights,
    skin: { offsets: skinOffsets, joints: skinJoints, weights: skinWeights },
    parents,
    faces,
  };
  if (posedirs.length !== numPoseFeatures(model) * V * 3) bad('posedirs size');
  return model;
}
