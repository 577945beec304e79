/**
 * numpy pieces of the reader: dtypes, raw array bytes -> typed arrays (byte order, Fortran order),
 * numpy scalars. Browser-safe (no node: imports).
 */
import { NDArray, PickleError, type NDTypedArray } from './types';

export interface DTypeInfo {
  kind: 'f' | 'i' | 'u' | 'b';
  itemsize: number;
  /** byte order of the SOURCE bytes */
  littleEndian: boolean;
  /** numpy dtype.str of the host-order values: '<f4', '|u1', ... */
  hostStr: string;
}

const TYPED: Record<string, new (buffer: ArrayBuffer, byteOffset?: number, length?: number) => NDTypedArray> = {
  f4: Float32Array,
  f8: Float64Array,
  i1: Int8Array,
  i2: Int16Array,
  i4: Int32Array,
  i8: BigInt64Array,
  u1: Uint8Array,
  u2: Uint16Array,
  u4: Uint32Array,
  u8: BigUint64Array,
  b1: Uint8Array,
};

/**
 * Parses a numpy type string as found in pickles: 'f4', '<f4', '>i8', '|b1', '=f8', and numpy's
 * one-letter codes ('f', 'd', 'b', 'B', '?', 'l', ...) are NOT accepted (numpy never pickles them).
 */
export function dtypeInfo(str: string): DTypeInfo {
  const m = /^([<>|=]?)([fiub])(\d+)$/.exec(str);
  const code = m ? `${m[2]}${m[3]}` : '';
  if (!m || !TYPED[code]) {
    throw new PickleError(`numpy dtype '${str}' is not supported (supported: f4 f8 i1 i2 i4 i8 u1 u2 u4 u8 b1, any byte order)`);
  }
  const itemsize = Number(m[3]);
  const littleEndian = m[1] !== '>';
  const kind = m[2] as DTypeInfo['kind'];
  return { kind, itemsize, littleEndian, hostStr: `${itemsize === 1 ? '|' : '<'}${code}` };
}

/** Number of elements of `shape`, checking every dimension is a sane integer. */
export function elementCount(shape: readonly unknown[]): number {
  let n = 1;
  for (const d of shape) {
    const v = typeof d === 'bigint' ? Number(d) : d;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
      throw new PickleError(`array shape (${shape.map(String).join(', ')}) is not a list of non-negative integers`);
    }
    n *= v;
    if (!Number.isSafeInteger(n)) throw new PickleError(`array shape (${shape.join(', ')}) is too large`);
  }
  return n;
}

/**
 * Builds an NDArray from raw element bytes (`bytes` holds exactly count*itemsize bytes, in the
 * file's byte order and memory order). The bytes are COPIED into a fresh, aligned buffer: the
 * source is a view into the whole decompressed stream, which must not stay alive because of one array.
 */
export function arrayFromBytes(
  info: DTypeInfo,
  shape: number[],
  bytes: Uint8Array,
  fortranOrder: boolean,
): NDArray {
  const count = elementCount(shape);
  if (bytes.byteLength !== count * info.itemsize) {
    throw new PickleError(
      `array data is ${bytes.byteLength} bytes but shape (${shape.join(', ')}) of ${info.hostStr} needs ${count * info.itemsize}`,
    );
  }
  // (not bytes.slice(): on a Node Buffer that is a view, not a copy)
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  if (!info.littleEndian && info.itemsize > 1) swapBytes(copy, info.itemsize);
  if (info.kind === 'b') {
    // numpy treats any non-zero byte as True; normalise so data holds 0/1.
    for (let i = 0; i < copy.length; i++) if (copy[i] !== 0) copy[i] = 1;
  }
  const Ctor = TYPED[info.hostStr.slice(1)];
  let data = new Ctor(copy.buffer, 0, count);
  if (fortranOrder && shape.length > 1) data = fortranToC(data, shape);
  return new NDArray(info.hostStr, shape, data);
}

function swapBytes(b: Uint8Array, size: number): void {
  for (let i = 0; i < b.length; i += size) {
    for (let lo = i, hi = i + size - 1; lo < hi; lo++, hi--) {
      const t = b[lo];
      b[lo] = b[hi];
      b[hi] = t;
    }
  }
}

/** Reorders Fortran-order (first index fastest) values into C order (last index fastest). */
export function fortranToC<T extends NDTypedArray>(src: T, shape: readonly number[]): T {
  const out = new (src.constructor as new (length: number) => T)(src.length);
  if (src.length === 0) return out;
  const o = out as unknown as (number | bigint)[];
  const i = src as unknown as (number | bigint)[];
  // The 2-d and 3-d cases (all a body model has, and they are large) as loops blocked over the first
  // index, so both the reads (first index fastest) and the writes stay within cache.
  if (shape.length === 2 || shape.length === 3) {
    const [a, b, c] = shape.length === 2 ? [shape[0], 1, shape[1]] : shape;
    const block = 64;
    for (let i0 = 0; i0 < a; i0 += block) {
      const i1 = Math.min(a, i0 + block);
      for (let k = 0; k < c; k++) {
        for (let j = 0; j < b; j++) {
          const from = a * j + a * b * k;
          for (let x = i0; x < i1; x++) o[(x * b + j) * c + k] = i[from + x];
        }
      }
    }
    return out;
  }
  // Any rank: walk the C-order multi-index (last dimension fastest), tracking the Fortran offset.
  const n = shape.length;
  const fStride: number[] = [];
  let s = 1;
  for (let k = 0; k < n; k++) {
    fStride.push(s);
    s *= shape[k];
  }
  const idx = new Array<number>(n).fill(0);
  let f = 0;
  for (let c = 0; c < src.length; c++) {
    o[c] = i[f];
    for (let k = n - 1; k >= 0; k--) {
      idx[k]++;
      f += fStride[k];
      if (idx[k] < shape[k]) break;
      f -= fStride[k] * shape[k];
      idx[k] = 0;
    }
  }
  return out;
}

/** A numpy scalar (numpy.float32(0.93), ...) -> number, bigint (64-bit ints beyond 2^53) or boolean. */
export function scalarFromBytes(info: DTypeInfo, bytes: Uint8Array): number | bigint | boolean {
  const arr = arrayFromBytes(info, [], bytes, false);
  const v = arr.data[0];
  if (info.kind === 'b') return v !== 0;
  return typeof v === 'bigint' ? bigintToValue(v) : v;
}

/** int -> number when exactly representable, else bigint (Python ints are exact). */
export function bigintToValue(v: bigint): number | bigint {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/** Any NDArray's values as float64 (64-bit ints lose precision beyond 2^53, as they would in numpy's astype). */
export function toFloat64(a: NDArray): Float64Array {
  if (a.data instanceof Float64Array) return a.data;
  const out = new Float64Array(a.data.length);
  const d = a.data;
  for (let i = 0; i < d.length; i++) out[i] = Number(d[i]);
  return out;
}

/** Python 2 str / latin1 string -> its bytes (numpy keeps raw array data in str in Python 2 pickles). */
export function latin1Bytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 255) throw new PickleError('binary data given as a str with characters beyond latin1');
    out[i] = c;
  }
  return out;
}

/** bytes -> latin1 string, in chunks (String.fromCharCode has an argument-count limit). */
export function latin1String(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i += 8192) {
    s += String.fromCharCode.apply(null, b.subarray(i, i + 8192) as unknown as number[]);
  }
  return s;
}
