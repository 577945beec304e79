/**
 * Canonical JSON text of a loaded pickle, identical to what scripts/fixtures/joblib_to_json.py prints
 * for the same file from Python's joblib.load (the two are compared in test/pickle). Browser-safe.
 *
 * Canonical form (both sides):
 * - arrays -> nested lists (0-d arrays -> the value); tuples, lists -> lists; sets -> lists sorted by
 *   the elements' JSON text; bytes/bytearray -> latin1 strings; numpy scalars -> numbers; bool -> true/false.
 * - numbers print as JavaScript's String(number) (Python's reference formats its floats the same way
 *   from repr()'s shortest digits), so an integral float prints like an int: 1.0 -> 1, 1e-05 -> 1e-7 style
 *   exponents (1e-7). Ints beyond 2^53 print exactly. NaN, Infinity, -Infinity print bare, like
 *   Python's json module.
 * - strings are escaped like Python's json.dumps(ensure_ascii=True): every char outside ' '..'~' as \uXXXX.
 * - dict keys: strings as they are; other keys as Python's str() would write them for the common
 *   kinds: ints, True/False/None, tuples "(1, 'a')" (a 1-tuple "(1,)"), floats in the number format above.
 * - allow-listed objects (scipy sparse, chumpy): {"__class__": "module.Name", "__state__": state}.
 * - dicts keep their insertion order; output has no spaces.
 */
import { DType, NDArray, PyObject, isTuple } from './types';

export function toPythonJson(value: unknown): string {
  const out: string[] = [];
  write(value, out);
  return out.join('');
}

function write(v: unknown, out: string[]): void {
  if (v === null || v === undefined) out.push('null');
  else if (typeof v === 'boolean') out.push(v ? 'true' : 'false');
  else if (typeof v === 'number' || typeof v === 'bigint') out.push(String(v));
  else if (typeof v === 'string') out.push(jsonString(v));
  else if (v instanceof NDArray) writeArray(v, out);
  else if (v instanceof Uint8Array) out.push(jsonString(latin1(v)));
  else if (v instanceof DType) out.push(jsonString(v.str));
  else if (Array.isArray(v)) {
    out.push('[');
    for (let i = 0; i < v.length; i++) {
      if (i) out.push(',');
      write(v[i], out);
    }
    out.push(']');
  } else if (v instanceof Map) {
    out.push('{');
    let first = true;
    for (const [k, x] of v) {
      if (!first) out.push(',');
      first = false;
      out.push(jsonString(typeof k === 'string' ? k : pyStr(k)), ':');
      write(x, out);
    }
    out.push('}');
  } else if (v instanceof Set) {
    const items = [...v].map((x) => toPythonJson(x)).sort(compareCodePoints);
    out.push('[', items.join(','), ']');
  } else if (v instanceof PyObject) {
    out.push('{"__class__":', jsonString(`${v.module}.${v.name}`), ',"__state__":');
    write(v.state, out);
    out.push('}');
  } else throw new Error(`toPythonJson: unexpected value ${Object.prototype.toString.call(v)}`);
}

function writeArray(a: NDArray, out: string[]): void {
  const d = a.data;
  const bool = a.dtype.endsWith('b1');
  const item = (i: number) => (bool ? (d[i] ? 'true' : 'false') : String(d[i]));
  if (a.shape.length === 0) {
    out.push(item(0));
    return;
  }
  let pos = 0;
  const rec = (dim: number): void => {
    out.push('[');
    const n = a.shape[dim];
    if (dim === a.shape.length - 1) {
      const parts = new Array<string>(n);
      for (let i = 0; i < n; i++) parts[i] = item(pos++);
      out.push(parts.join(','));
    } else {
      for (let i = 0; i < n; i++) {
        if (i) out.push(',');
        rec(dim + 1);
      }
    }
    out.push(']');
  };
  rec(0);
}

// Python sorts str by code point; JS's default sort compares UTF-16 units (same for the BMP).
function compareCodePoints(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function latin1(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i += 8192) s += String.fromCharCode.apply(null, b.subarray(i, i + 8192) as unknown as number[]);
  return s;
}

export function jsonString(s: string): string {
  return JSON.stringify(s).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Python str() of a dict key (common kinds); see the module comment. */
export function pyStr(k: unknown): string {
  if (typeof k === 'string') return k;
  return pyRepr(k);
}

function pyRepr(k: unknown): string {
  if (k === null || k === undefined) return 'None';
  if (typeof k === 'boolean') return k ? 'True' : 'False';
  if (typeof k === 'number' || typeof k === 'bigint') return String(k);
  if (typeof k === 'string') return `'${k.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  if (k instanceof Uint8Array) return `b'${latin1(k).replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  if (isTuple(k)) return k.length === 1 ? `(${pyRepr(k[0])},)` : `(${k.map(pyRepr).join(', ')})`;
  if (Array.isArray(k)) return `[${k.map(pyRepr).join(', ')}]`;
  return String(k);
}
