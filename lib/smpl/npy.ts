/**
 * numpy's .npy / .npz files (browser-safe). An .npz is a zip of .npy files (fflate unzips it);
 * an .npy is a small text header (a Python dict literal: descr, fortran_order, shape) and raw data.
 * Only the numeric dtypes a body model uses are supported; object arrays (pickled) are refused.
 */
import { unzipSync } from 'fflate';
import { fortranToC } from '../pickle/numpy';
import type { NDTypedArray } from '../pickle/types';

export type NpyTypedArray = NDTypedArray;

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
  const data = fortran === 'True' && shape.length > 1 ? fortranToC(raw, shape) : raw;
  return { dtype: descr, shape, data };
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
