/**
 * Read the user's SMPL model file (Node only): the pickle PHALP and 4D-Humans use (SMPL_NEUTRAL.pkl /
 * basicModel_neutral_lbs_10_207_0_v1.0.0.pkl, usually a Python 2 pickle) or an .npz of the same arrays.
 * The pickle is decoded by lib/pickle (safe: allow-listed classes only, nothing runs).
 */
import { readFile, stat } from 'node:fs/promises';
import { isTuple, loadPickle, NDArray, PickleError, PyObject } from '../pickle';
import { buildSmplModel, SMPL_SOURCE_KEYS, type SmplSource, type SourceArray, type SourceSparse } from './build';
import { SmplModelError, type SmplModel } from './model';
import { isNpz, NpyFormatError, readNpz } from './npy';

export async function loadSmplModel(path: string): Promise<SmplModel> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new SmplModelError(
        `SMPL body model not found at ${path}; set SMPL_MODEL_PATH to the SMPL neutral model file (SMPL_NEUTRAL.pkl or an .npz)`,
        'not_found',
        { cause: err },
      );
    }
    if (code === 'EISDIR') throw new SmplModelError(`SMPL_MODEL_PATH points to a folder (${path}); it must be the model file itself`, 'unreadable', { cause: err });
    throw new SmplModelError(`cannot read the SMPL body model at ${path}: ${(err as Error).message}`, 'unreadable', { cause: err });
  }
  const source = isNpz(bytes) ? sourceFromNpz(bytes, path) : sourceFromPickle(bytes, path);
  return buildSmplModel(source, path);
}

const memo = new Map<string, { version: string; model: Promise<SmplModel> }>();

/**
 * loadSmplModel once per file version (size + mtime): for servers that hand the model out
 * repeatedly. A failed load is not remembered.
 */
export async function loadSmplModelCached(path: string): Promise<SmplModel> {
  const info = await stat(path).catch(() => null);
  if (!info) return loadSmplModel(path); // throws the not-found error
  const version = `${info.size}:${info.mtimeMs}`;
  const hit = memo.get(path);
  if (hit && hit.version === version) return hit.model;
  const model = loadSmplModel(path);
  memo.set(path, { version, model });
  model.catch(() => {
    if (memo.get(path)?.model === model) memo.delete(path);
  });
  return model;
}

function sourceFromNpz(bytes: Uint8Array, path: string): SmplSource {
  let arrays;
  try {
    arrays = readNpz(bytes, SMPL_SOURCE_KEYS, path);
  } catch (err) {
    if (err instanceof NpyFormatError) throw new SmplModelError(`${path} is not a readable SMPL body model: ${err.message}`, 'unreadable', { cause: err });
    throw err;
  }
  const missing = SMPL_SOURCE_KEYS.filter((k) => !arrays.has(k));
  if (missing.length > 0) throw notSmpl(path, `missing ${missing.map((k) => `'${k}'`).join(', ')}`);
  return Object.fromEntries(arrays) as unknown as SmplSource;
}

function sourceFromPickle(bytes: Uint8Array, path: string): SmplSource {
  let root: unknown;
  try {
    root = loadPickle(bytes, { source: path });
  } catch (err) {
    if (err instanceof PickleError) {
      throw new SmplModelError(`${path} is not a readable SMPL body model (expected a pickle or an .npz): ${err.message}`, 'unreadable', { cause: err });
    }
    throw err;
  }
  if (!(root instanceof Map)) throw notSmpl(path, 'the pickle does not hold a dict');
  const missing = SMPL_SOURCE_KEYS.filter((k) => !root.has(k));
  if (missing.length > 0) {
    const found = [...root.keys()].slice(0, 20).map(String).join(', ');
    throw notSmpl(path, `missing ${missing.map((k) => `'${k}'`).join(', ')} (found: ${found || 'nothing'})`);
  }
  const dense = (key: string): SourceArray => {
    let value = root.get(key);
    // chumpy.ch.Ch (shapedirs in the real file, sometimes others): the array is its state's `x`.
    if (value instanceof PyObject && value.name === 'Ch' && value.state instanceof Map) value = value.state.get('x');
    if (value instanceof NDArray) return value;
    throw notSmpl(path, `'${key}' is ${describe(value)}, expected an array`);
  };
  const regressor = (): SourceArray | SourceSparse => {
    const value = root.get('J_regressor');
    if (value instanceof PyObject && /^scipy\.sparse\./.test(value.module) && (value.name === 'csc_matrix' || value.name === 'csr_matrix')) {
      const state = value.state;
      const get = (k: string) => (state instanceof Map ? state.get(k) : undefined);
      const shape = get('_shape') ?? get('shape');
      const [data, indices, indptr] = [get('data'), get('indices'), get('indptr')];
      if (!(data instanceof NDArray && indices instanceof NDArray && indptr instanceof NDArray) || !(isTuple(shape) && shape.length === 2)) {
        throw notSmpl(path, `'J_regressor' is a ${value.name} without its data/indices/indptr/shape`);
      }
      return { format: value.name === 'csc_matrix' ? 'csc' : 'csr', shape: [Number(shape[0]), Number(shape[1])], data: data.data, indices: indices.data, indptr: indptr.data };
    }
    return dense('J_regressor');
  };
  return {
    v_template: dense('v_template'),
    shapedirs: dense('shapedirs'),
    posedirs: dense('posedirs'),
    J_regressor: regressor(),
    weights: dense('weights'),
    kintree_table: dense('kintree_table'),
    f: dense('f'),
  };
}

function notSmpl(path: string, what: string): SmplModelError {
  return new SmplModelError(`${path} is not an SMPL body model: ${what}`, 'invalid');
}

function describe(value: unknown): string {
  if (value instanceof PyObject) return `a ${value.qualifiedName} object`;
  if (value === null) return 'None';
  if (Array.isArray(value)) return 'a list';
  return `a ${typeof value}`;
}
