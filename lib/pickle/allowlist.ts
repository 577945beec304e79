/**
 * The globals a pickle may name, and what each one becomes. Anything else fails with an error naming
 * the global: reading a pickle never runs code, and never even materialises an unknown class.
 *
 * Every entry is a plain `function` so it works both for REDUCE (called) and NEWOBJ/OBJ/INST
 * (constructed: a constructor that returns an object yields that object). Instances that BUILD
 * completes get a `__setstate__` through small private subclasses (pickleparser calls it).
 */
import {
  DType,
  NDArray,
  PickleError,
  PyObject,
  TUPLE,
  type LoadPickleOptions,
} from './types';
import { arrayFromBytes, dtypeInfo, elementCount, latin1Bytes, scalarFromBytes } from './numpy';
import type { HookedReader } from './reader';

type Fn = (...args: unknown[]) => unknown;

const DEFAULT_MAX_ARRAY_BYTES = 1024 ** 3;

/** numpy.dtype as BUILD completes it: REDUCE(numpy.dtype, ('f4', False, True)) then BUILD (3, '<', ...). */
class BuildingDType extends DType {
  __setstate__(state: unknown): void {
    if (!Array.isArray(state) || typeof state[1] !== 'string') throw new PickleError('malformed numpy dtype state');
    const order = state[1] === '=' ? '<' : state[1];
    if (state.length > 3 && state[3] != null) throw new PickleError('structured numpy dtypes (with fields) are not supported');
    this.str = `${order}${this.str.replace(/^[<>|=]/, '')}`;
  }
}

/** An allow-listed class instance (chumpy Ch, scipy sparse matrices): keeps args and BUILD state only. */
class BuildingPyObject extends PyObject {
  __setstate__(state: unknown): void {
    this.state = state;
  }
}

function isDType(x: unknown): x is DType {
  return x instanceof DType;
}

function asBytes(x: unknown, what: string): Uint8Array {
  if (x instanceof Uint8Array) return x;
  if (typeof x === 'string') return latin1Bytes(x); // Python 2 str read with latin1
  throw new PickleError(`${what}: expected bytes`);
}

function shapeOf(x: unknown, what: string): number[] {
  if (!Array.isArray(x)) throw new PickleError(`${what}: shape is not a tuple`);
  elementCount(x);
  return x.map((d) => Number(d));
}

/** Builds the resolver for one read (the joblib wrapper needs that read's reader). */
export function createResolver(reader: HookedReader, opts: LoadPickleOptions): (module: string, name: string) => unknown {
  const maxArrayBytes = opts.maxArrayBytes ?? DEFAULT_MAX_ARRAY_BYTES;
  const objectClasses = new Set<unknown>();

  function checkArrayBytes(count: number, itemsize: number): void {
    if (count * itemsize > maxArrayBytes) {
      throw new PickleError(`an array of ${count * itemsize} bytes exceeds the limit of ${maxArrayBytes} bytes`);
    }
  }

  /** joblib.numpy_pickle.NumpyArrayWrapper: its BUILD is followed by the raw array bytes, inline. */
  class JoblibArray extends NDArray {
    private built = false;
    constructor() {
      super('', [], new Uint8Array(0));
    }
    __setstate__(state: unknown): void {
      if (this.built) throw new PickleError('NumpyArrayWrapper built twice');
      this.built = true;
      if (!(state instanceof Map)) throw new PickleError('malformed NumpyArrayWrapper state');
      const dtype = state.get('dtype');
      if (!isDType(dtype)) throw new PickleError('NumpyArrayWrapper without a numpy dtype');
      if (/^[<>|=]?O/.test(dtype.str)) throw new PickleError('numpy object arrays are not supported');
      const info = dtypeInfo(dtype.str);
      const shape = shapeOf(state.get('shape'), 'NumpyArrayWrapper');
      const order = state.get('order');
      if (order !== 'C' && order !== 'F') throw new PickleError(`NumpyArrayWrapper order '${String(order)}' is not C or F`);
      const count = elementCount(shape);
      checkArrayBytes(count, info.itemsize);
      // joblib >= 1.2 writes one byte p then p padding bytes so the data starts 16-byte aligned.
      const alignment = state.get('numpy_array_alignment_bytes');
      if (alignment != null) {
        const pad = reader.rawBytes(1)[0];
        if (pad > 0) reader.rawBytes(pad);
      }
      const arr = arrayFromBytes(info, shape, reader.rawBytes(count * info.itemsize), order === 'F');
      this.dtype = arr.dtype;
      this.shape = arr.shape;
      this.data = arr.data;
    }
  }

  /** numpy.core.multiarray._reconstruct(ndarray, (0,), b'b') then BUILD (1, shape, dtype, is_fortran, rawdata). */
  class ReconstructedArray extends NDArray {
    private built = false;
    constructor() {
      super('', [], new Uint8Array(0));
    }
    __setstate__(state: unknown): void {
      if (this.built) throw new PickleError('numpy array built twice');
      this.built = true;
      if (!Array.isArray(state) || state.length !== 5) throw new PickleError('malformed numpy array state');
      const [, shapeRaw, dtype, fortran, raw] = state;
      if (!isDType(dtype)) throw new PickleError('numpy array state without a dtype');
      if (/^[<>|=]?O/.test(dtype.str) || Array.isArray(raw)) throw new PickleError('numpy object arrays are not supported');
      const info = dtypeInfo(dtype.str);
      const shape = shapeOf(shapeRaw, 'numpy array');
      checkArrayBytes(elementCount(shape), info.itemsize);
      const arr = arrayFromBytes(info, shape, asBytes(raw, 'numpy array data'), fortran === true || fortran === 1);
      this.dtype = arr.dtype;
      this.shape = arr.shape;
      this.data = arr.data;
    }
  }

  // Marker for numpy.ndarray: only meaningful as the first argument of _reconstruct.
  function ndarrayMarker(): never {
    throw new PickleError('numpy.ndarray may only appear as an argument of numpy _reconstruct');
  }

  function reconstruct(cls: unknown): NDArray {
    if (cls !== ndarrayMarker) throw new PickleError('numpy _reconstruct of something other than numpy.ndarray');
    return new ReconstructedArray();
  }

  function dtype(code: unknown): DType {
    if (typeof code !== 'string') throw new PickleError('numpy.dtype with a non-string type code');
    return new BuildingDType(code);
  }

  function scalar(dt: unknown, data: unknown): unknown {
    if (!isDType(dt)) throw new PickleError('numpy scalar without a dtype');
    return scalarFromBytes(dtypeInfo(dt.str), asBytes(data, 'numpy scalar'));
  }

  // numpy >= 1.23 with protocol 5: _frombuffer(buffer, dtype, shape, order)
  function frombuffer(buf: unknown, dt: unknown, shape: unknown, order: unknown): NDArray {
    if (!isDType(dt)) throw new PickleError('numpy _frombuffer without a dtype');
    const info = dtypeInfo(dt.str);
    const s = shapeOf(shape, 'numpy _frombuffer');
    checkArrayBytes(elementCount(s), info.itemsize);
    return arrayFromBytes(info, s, asBytes(buf, 'numpy _frombuffer'), order === 'F');
  }

  function objectClass(module: string, name: string): Fn {
    const cls = function (...args: unknown[]) {
      return new BuildingPyObject(module, name, args);
    };
    objectClasses.add(cls);
    return cls;
  }

  function objectMarker(): never {
    throw new PickleError('builtins.object may only appear as an argument of copyreg._reconstructor');
  }

  // Protocol 0/1 way of creating instances: copyreg._reconstructor(cls, object, None).
  function reconstructor(cls: unknown, base: unknown): unknown {
    if (!objectClasses.has(cls) || base !== objectMarker) {
      throw new PickleError('copyreg._reconstructor of a class that is not allowed');
    }
    return (cls as Fn)();
  }

  function orderedDict(items?: unknown): Map<unknown, unknown> {
    const m = new Map<unknown, unknown>();
    if (Array.isArray(items)) {
      for (const pair of items) {
        if (!Array.isArray(pair) || pair.length !== 2) throw new PickleError('OrderedDict items are not pairs');
        m.set(pair[0], pair[1]);
      }
    }
    return m;
  }

  function set(items?: unknown): Set<unknown> {
    return new Set(Array.isArray(items) ? items : []);
  }

  // Python 3 pickles bytes with protocol 2 as _codecs.encode(latin1_text, 'latin1').
  function codecsEncode(text: unknown, encoding: unknown): Uint8Array {
    if (typeof text !== 'string' || (encoding !== 'latin1' && encoding !== 'latin-1')) {
      throw new PickleError('_codecs.encode is only allowed for latin1 bytes');
    }
    return latin1Bytes(text);
  }

  function bytesOf(data?: unknown, encoding?: unknown): Uint8Array {
    if (data === undefined) return new Uint8Array(0);
    if (typeof data === 'string') return codecsEncode(data, encoding);
    const b = asBytes(data, 'bytes');
    const copy = new Uint8Array(b.byteLength);
    copy.set(b);
    return copy;
  }

  const table: Record<string, unknown> = {
    'joblib.numpy_pickle.NumpyArrayWrapper': function () {
      return new JoblibArray();
    },
    'numpy.ndarray': ndarrayMarker,
    'numpy.core.multiarray._reconstruct': reconstruct,
    'numpy._core.multiarray._reconstruct': reconstruct,
    'numpy.dtype': dtype,
    'numpy.core.multiarray.scalar': scalar,
    'numpy._core.multiarray.scalar': scalar,
    'numpy.core.numeric._frombuffer': frombuffer,
    'numpy._core.numeric._frombuffer': frombuffer,
    'collections.OrderedDict': orderedDict,
    'builtins.set': set,
    'builtins.frozenset': set,
    '__builtin__.set': set,
    '__builtin__.frozenset': set,
    'builtins.bytearray': bytesOf,
    '__builtin__.bytearray': bytesOf,
    'builtins.bytes': bytesOf,
    '__builtin__.bytes': bytesOf,
    '_codecs.encode': codecsEncode,
    'builtins.object': objectMarker,
    '__builtin__.object': objectMarker,
    'copyreg._reconstructor': reconstructor,
    'copy_reg._reconstructor': reconstructor,
  };
  for (const qn of [
    'chumpy.ch.Ch',
    'scipy.sparse.csc.csc_matrix',
    'scipy.sparse._csc.csc_matrix',
    'scipy.sparse._csc.csc_array',
    'scipy.sparse.csr.csr_matrix',
    'scipy.sparse._csr.csr_matrix',
    'scipy.sparse._csr.csr_array',
    'scipy.sparse.coo.coo_matrix',
    'scipy.sparse._coo.coo_matrix',
    'scipy.sparse._coo.coo_array',
  ]) {
    const dot = qn.lastIndexOf('.');
    table[qn] = objectClass(qn.slice(0, dot), qn.slice(dot + 1));
  }

  const tupleMark = Object.freeze({ [TUPLE]: true });
  function dictFromItems(...items: unknown[]): Map<unknown, unknown> {
    const m = new Map<unknown, unknown>();
    for (let i = 0; i + 1 < items.length; i += 2) m.set(items[i], items[i + 1]);
    return m;
  }

  return (module: string, name: string) => {
    if (module === reader.nonce) {
      if (name === 'long') return reader.pendingLong;
      if (name === 'tuple') return tupleMark;
      if (name === 'dict') return dictFromItems;
    }
    const qn = `${module}.${name}`;
    if (Object.prototype.hasOwnProperty.call(table, qn)) return table[qn];
    throw new PickleError(`pickle refers to ${qn}, which is not allowed`);
  };
}
