/**
 * How Python values come out of the pickle reader (lib/pickle).
 *
 * | Python                                   | JavaScript                                                   |
 * |------------------------------------------|--------------------------------------------------------------|
 * | None / bool / float                      | null / boolean / number                                      |
 * | int                                      | number; bigint when outside +-(2^53 - 1)                      |
 * | str (also Python 2 str, decoded latin1)  | string                                                       |
 * | bytes                                    | Uint8Array                                                   |
 * | bytearray                                | Uint8Array (same as bytes)                                   |
 * | list                                     | Array                                                        |
 * | tuple                                    | PyTuple: a frozen Array marked with TUPLE (`isTuple(x)`)     |
 * | dict / collections.OrderedDict           | Map (keys as above: string, number, PyTuple, ...)            |
 * | set / frozenset                          | Set                                                          |
 * | numpy.ndarray (joblib wrapper or plain)  | NDArray                                                      |
 * | numpy scalar (numpy.float32(0.9), ...)   | number (bigint for 64-bit ints outside +-(2^53 - 1)), boolean for bool_ |
 * | numpy.dtype                              | DType                                                        |
 * | allow-listed other classes (chumpy.ch.Ch, scipy.sparse csc/csr/coo matrices) | PyObject          |
 *
 * Everything the reader returns is shared where the pickle shares it (the memo): PHALP's ghost
 * entries re-use the objects of the last detection. Treat results as READ-ONLY.
 */

/** numpy dtype kinds the reader turns into typed arrays. */
export type NDTypedArray =
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

/**
 * A numpy array.
 * - `dtype` is numpy's `dtype.str` of the values in `data`, which are always host (little-endian)
 *   values: '<f4', '<f8', '<i8', '|u1', '|b1', ... A big-endian array in the file ('>f4') is
 *   byte-swapped while reading and reported as '<f4' (what joblib.load gives in Python too).
 * - `data` is C-order (row-major) whatever the file's order; `shape` is numpy's shape ([] for 0-d).
 * - element types: f4 -> Float32Array, f8 -> Float64Array, i1/i2/i4 -> Int8/16/32Array,
 *   i8 -> BigInt64Array, u1 -> Uint8Array, u2/u4 -> Uint16/32Array, u8 -> BigUint64Array,
 *   b1 (bool) -> Uint8Array of 0/1. (64-bit ints stay exact; use `toFloat64` from lib/pickle to
 *   get plain numbers.)
 */
export class NDArray {
  constructor(
    public dtype: string,
    public shape: number[],
    public data: NDTypedArray,
  ) {}

  get size(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }
}

/** A numpy dtype object (appears when a dtype itself is pickled, e.g. inside a PyObject's state). */
export class DType {
  constructor(public str: string) {}
}

/** Marks an Array that was a Python tuple (pickleparser builds tuples and lists alike as plain Arrays). */
export const TUPLE: unique symbol = Symbol.for('lib/pickle.tuple');

/** A Python tuple: a frozen Array carrying the TUPLE mark. Tell it apart from a list with `isTuple`. */
export type PyTuple<T = unknown> = readonly T[] & { readonly [TUPLE]: true };

export function isTuple(x: unknown): x is PyTuple {
  return Array.isArray(x) && (x as { [TUPLE]?: boolean })[TUPLE] === true;
}

/** Build a tuple value (tests, generators of expected values). */
export function makeTuple<T>(...items: T[]): PyTuple<T> {
  const t = items.slice() as T[] & { [TUPLE]?: true };
  t[TUPLE] = true;
  return Object.freeze(t) as PyTuple<T>;
}

/**
 * An instance of an allow-listed non-numpy class (chumpy.ch.Ch, scipy.sparse.csc_matrix, ...).
 * Nothing of the class runs: `args` are the constructor arguments the pickle gave (NEWOBJ/REDUCE),
 * `state` is what BUILD set (usually a Map of the instance's __dict__), null when there was no BUILD.
 */
export class PyObject {
  state: unknown = null;
  constructor(
    public module: string,
    public name: string,
    public args: unknown[],
  ) {}

  /** `module.name`, e.g. 'scipy.sparse._csc.csc_matrix'. */
  get qualifiedName(): string {
    return `${this.module}.${this.name}`;
  }
}

/** Every value `loadPickle` can return (recursively). */
export type PyValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PyList
  | PyTupleValue
  | PyDict
  | Set<PyValue>
  | NDArray
  | DType
  | PyObject;

export interface PyTupleValue extends ReadonlyArray<PyValue> {
  readonly [TUPLE]: true;
}
export interface PyList extends Array<PyValue> {}
export interface PyDict extends Map<PyValue, PyValue> {}

export interface PickleLimits {
  /** Largest decompressed size of a joblib/zlib/gzip file, bytes. Default 1 GiB. */
  maxDecompressedBytes?: number;
  /** Deepest nesting of containers (also catches cyclic structures). Default 100. */
  maxDepth?: number;
  /** Largest single array, bytes. Default 1 GiB. */
  maxArrayBytes?: number;
}

/** The allow-list of globals is not configurable on purpose: it lives in lib/pickle/allowlist.ts. */
export interface LoadPickleOptions extends PickleLimits {
  /** Name of the source for error messages (a file path). */
  source?: string;
}

/** Thrown for every problem with a pickle: unsafe global, truncated, malformed, over a limit. */
export class PickleError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PickleError';
  }
}
