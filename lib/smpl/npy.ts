/**
 * numpy's .npy / .npz files (browser-safe). An .npz is a zip of .npy files (fflate unzips it);
 * an .npy is a small text header (a Python dict literal: descr, fortran_order, shape) and raw data.
 * Only the numeric dtypes a body model uses are supported; object arrays (pickled) are refused.
 */
import { unzipSync } from 'fflate';

export type NpyTypedArray =
  | Float32Array
  | Float64Array
  | Int8Array
  | Int16Array
  | Int32Array
  | BigInt64Array
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | BigUint64Array;

/** A numpy array, data in C order whatever the file's order. */
export interface NpyArray {
  dtype: string;
  shape: number[];
  data: NpyTypedArray;
}

export class NpyFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NpyFormatError';
  }
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

type Ctor = { new (buffer: ArrayBuffer): NpyTypedArray; BYTES_PER_ELEMENT: number };
const TYPES: Record<string, Ctor> = {
  f4: Float32Array,
  f8: Float64Array,
  i1: Int8Array,
  i2: Int16Array,
  i4: Int32Array,
  i8: BigInt64Array,
  u1: Uint8Array,
  b1: Uint8Array,
  u2: Uint16Array,
  u4: Uint32Array,
  u8: BigUint64Array,
};

export function isNpz(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
}

/** Parse one .npy file. */
export function parseNpy(bytes: Uint8Array, name = 'array'): NpyArray {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw new NpyFormatError(`${name}: not a .npy array`);
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const headerStart = major === 1 ? 10 : 12;
  const dataStart = headerStart + headerLen;
  if (major < 1 || major > 3 || dataStart > bytes.length) throw new NpyFormatError(`${name}: bad .npy header`);
  const header = new TextDecoder('latin1').decode(bytes.subarray(headerStart, dataStart));

  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new NpyFormatError(`${name}: unreadable .npy header ${JSON.stringify(header.trim())}`);
  }
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(Number);
  if (shape.some((n) => !Number.isInteger(n) || n < 0)) throw new NpyFormatError(`${name}: bad shape (${shapeText})`);

  const order = descr[0];
  const type = TYPES[descr.slice(1)];
  if (!type || !(order === '<' || order === '|' || (order === '=' && type.BYTES_PER_ELEMENT === 1))) {
    throw new NpyFormatError(`${name}: unsupported dtype '${descr}' (numeric little-endian arrays only)`);
  }
  const size = shape.reduce((a, b) => a * b, 1);
  const nbytes = size * type.BYTES_PER_ELEMENT;
  if (dataStart + nbytes > bytes.length) throw new NpyFormatError(`${name}: truncated (${bytes.length - dataStart} of ${nbytes} data bytes)`);
  // Copy: the data may sit at any offset (typed arrays need aligned buffers), and a Node Buffer's
  // slice() would share its pool rather than copy.
  const own = new Uint8Array(nbytes);
  own.set(bytes.subarray(dataStart, dataStart + nbytes));
  const raw = new type(own.buffer);
  const data = fortran === 'True' && shape.length > 1 ? fortranToC(raw, shape, type) : raw;
  return { dtype: descr, shape, data };
}

/** Reorder Fortran-order (first index fastest) values into C order (last index fastest). */
function fortranToC(src: NpyTypedArray, shape: number[], type: Ctor): NpyTypedArray {
  const dst = new type(new ArrayBuffer(src.length * type.BYTES_PER_ELEMENT)) as NpyTypedArray & { [i: number]: number | bigint };
  const s = src as unknown as { [i: number]: number | bigint };
  // The 2-d and 3-d cases (all a body model has) as loops blocked over the first index, so both the
  // reads (first index fastest) and the writes stay within cache; other ranks take the generic walk.
  const block = 64;
  if (shape.length === 2 || shape.length === 3) {
    const [a, b, c] = shape.length === 2 ? [shape[0], 1, shape[1]] : shape;
    for (let i0 = 0; i0 < a; i0 += block) {
      const i1 = Math.min(a, i0 + block);
      for (let k = 0; k < c; k++) {
        for (let j = 0; j < b; j++) {
          const from = a * j + a * b * k;
          for (let i = i0; i < i1; i++) dst[(i * b + j) * c + k] = s[from + i];
        }
      }
    }
    return dst;
  }
  const dims = shape.length;
  const fStride = new Array<number>(dims);
  for (let d = 0, acc = 1; d < dims; d++) {
    fStride[d] = acc;
    acc *= shape[d];
  }
  const index = new Array<number>(dims).fill(0);
  let srcPos = 0;
  for (let i = 0; i < src.length; i++) {
    dst[i] = s[srcPos];
    // advance the C-order multi-index (last dimension fastest) and track the Fortran offset
    for (let d = dims - 1; d >= 0; d--) {
      index[d]++;
      srcPos += fStride[d];
      if (index[d] < shape[d]) break;
      srcPos -= fStride[d] * shape[d];
      index[d] = 0;
    }
  }
  return dst;
}

/**
 * Read the named arrays of an .npz (key = file name without '.npy'). Only `keys` are decompressed
 * and parsed, so unrelated entries of unsupported dtypes do no harm. Missing keys are absent from the map.
 */
export function readNpz(bytes: Uint8Array, keys: readonly string[], name = 'npz'): Map<string, NpyArray> {
  const wanted = new Set(keys.map((k) => `${k}.npy`));
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes, { filter: (f) => wanted.has(f.name) });
  } catch (err) {
    throw new NpyFormatError(`${name}: not a readable .npz (zip) file: ${(err as Error).message}`);
  }
  const out = new Map<string, NpyArray>();
  for (const [file, content] of Object.entries(files)) {
    const key = file.slice(0, -'.npy'.length);
    out.set(key, parseNpy(content, `${name}:${key}`));
  }
  return out;
}
