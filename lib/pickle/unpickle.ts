/**
 * loadPickle: pickle bytes -> JS values (see ./types.ts for the mapping). Browser-safe.
 * The opcode machine is pickleparser's; ./reader.ts hooks it, ./allowlist.ts decides what globals mean.
 */
import { Parser } from 'pickleparser';
import { createResolver } from './allowlist';
import { HookedReader } from './reader';
import { DType, NDArray, PickleError, PyObject, TUPLE, type LoadPickleOptions } from './types';

const DEFAULT_MAX_DEPTH = 100;

export function loadPickle(input: Uint8Array, opts: LoadPickleOptions = {}): unknown {
  // A plain Uint8Array view, so bytes values cut from it are Uint8Arrays even when given a Node Buffer.
  const bytes = new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  const where = opts.source ? `${opts.source}: ` : '';
  const reader = new HookedReader(bytes);
  const resolve = createResolver(reader, opts);
  const parser = new Parser({
    nameResolver: { resolve: resolve as (m: string, n: string) => () => unknown },
    persistentResolver: {
      resolve: (pid) => {
        throw new PickleError(`pickle uses a persistent id (${String(pid)}), which is not allowed`);
      },
    },
    extensionResolver: {
      resolve: (code) => {
        throw new PickleError(`pickle uses extension code ${code} (copyreg registry), which is not allowed`);
      },
    },
    unpicklingTypeOfDictionary: 'Map',
    unpicklingTypeOfSet: 'Set',
  });
  let value: unknown;
  try {
    value = parser.read(reader);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    if (e instanceof PickleError) throw new PickleError(`${where}${msg}`, { cause: e });
    throw new PickleError(
      `${where}cannot read pickle near byte ${reader.opcodePosition} of ${bytes.length} ` +
        `(opcode 0x${reader.opcode.toString(16)}): ${msg} (truncated or corrupt file?)`,
      { cause: e },
    );
  }
  try {
    checkTree(value, opts.maxDepth ?? DEFAULT_MAX_DEPTH);
  } catch (e) {
    if (e instanceof PickleError) throw new PickleError(`${where}${e.message}`, { cause: e });
    throw e;
  }
  return value;
}

/**
 * After parsing: every value must be one of the documented kinds (see ./types.ts), nesting is at most
 * `maxDepth` deep (a cycle counts as too deep), and tuples get frozen. Shared objects (the memo) are
 * visited once, so this is linear in the number of distinct objects.
 */
function checkTree(root: unknown, maxDepth: number): void {
  const done = new Set<object>();
  const visit = (v: unknown, depth: number): void => {
    if (v === null || typeof v === 'boolean' || typeof v === 'number' || typeof v === 'bigint' || typeof v === 'string') {
      return;
    }
    if (v === undefined) throw new PickleError('pickle refers to a memo entry that was never stored (corrupt file?)');
    if (typeof v === 'function') throw new PickleError('pickle leaves a bare global (a class or function) in the data');
    if (typeof v !== 'object') throw new PickleError(`unexpected ${typeof v} in pickle data`);
    if (done.has(v)) return;
    if (depth > maxDepth) {
      throw new PickleError(`pickle nests deeper than ${maxDepth} levels (or contains a cycle)`);
    }
    const proto = Object.getPrototypeOf(v);
    if (proto === Array.prototype) {
      for (const x of v as unknown[]) visit(x, depth + 1);
      if ((v as { [TUPLE]?: boolean })[TUPLE] === true) Object.freeze(v);
    } else if (proto === Map.prototype) {
      for (const [k, x] of v as Map<unknown, unknown>) {
        visit(k, depth + 1);
        visit(x, depth + 1);
      }
    } else if (proto === Set.prototype) {
      for (const x of v as Set<unknown>) visit(x, depth + 1);
    } else if (v instanceof NDArray) {
      if (v.dtype === '') throw new PickleError('a numpy array was created but never filled (BUILD missing)');
    } else if (v instanceof PyObject) {
      for (const x of v.args) visit(x, depth + 1);
      visit(v.state, depth + 1);
    } else if (!(v instanceof Uint8Array) && !(v instanceof DType)) {
      throw new PickleError(`unexpected object in pickle data (${proto?.constructor?.name ?? 'no prototype'})`);
    }
    done.add(v);
  };
  visit(root, 0);
}
