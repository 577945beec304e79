/**
 * joblib's file container: one zlib stream (compress=1..9, starts 78 xx), gzip (1f 8b), or a plain
 * pickle. Decompression is bounded (maxOutputLength) so a zlib bomb fails fast instead of filling memory.
 * Node only (node:zlib).
 */
import { readFileSync } from 'node:fs';
import zlib from 'node:zlib';
import { loadPickle } from './unpickle';
import { PickleError, type LoadPickleOptions } from './types';

export type Container = 'zlib' | 'gzip' | 'plain';

const DEFAULT_MAX_DECOMPRESSED = 1024 ** 3;

export function detectContainer(b: Uint8Array): Container {
  if (b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b) return 'gzip';
  // joblib's zlib streams use the default 32 KiB window: CMF byte 0x78. Other valid CMF bytes (0x08..0x68)
  // are also pickle opcodes ('(' is MARK), so they are not taken as zlib.
  if (b.length >= 2 && b[0] === 0x78 && ((b[0] << 8) | b[1]) % 31 === 0) return 'zlib';
  if (b.length >= 1 && b[0] === 0x80) return 'plain';
  if (b.length >= 6 && b[0] === 0xfd && String.fromCharCode(...b.subarray(1, 6)) === '7zXZ\u0000') {
    throw new PickleError('xz/lzma-compressed joblib files are not supported (use compress=3, zlib)');
  }
  if (b.length >= 3 && String.fromCharCode(...b.subarray(0, 3)) === 'BZh') {
    throw new PickleError('bz2-compressed joblib files are not supported (use compress=3, zlib)');
  }
  if (b.length >= 4 && b[0] === 0x04 && b[1] === 0x22 && b[2] === 0x4d && b[3] === 0x18) {
    throw new PickleError('lz4-compressed joblib files are not supported (use compress=3, zlib)');
  }
  if (b.length >= 2 && b[0] === 0x5a && b[1] === 0x46) {
    throw new PickleError('old joblib (< 0.10) "ZF" files are not supported');
  }
  if (b.length === 0) throw new PickleError('empty file');
  // protocol 0/1 pickles start with an opcode directly; let the parser judge.
  return 'plain';
}

/** The pickle bytes inside a joblib file's bytes. */
export function unwrapContainer(file: Uint8Array, opts: LoadPickleOptions = {}): { container: Container; pickle: Uint8Array } {
  const container = detectContainer(file);
  if (container === 'plain') return { container, pickle: file };
  const max = opts.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED;
  const where = opts.source ? `${opts.source}: ` : '';
  try {
    const out = container === 'zlib' ? zlib.inflateSync(file, { maxOutputLength: max }) : zlib.gunzipSync(file, { maxOutputLength: max });
    return { container, pickle: new Uint8Array(out.buffer, out.byteOffset, out.byteLength) };
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) {
      throw new PickleError(`${where}decompressed data exceeds the limit of ${max} bytes (refusing a possible zlib bomb)`, { cause: e });
    }
    throw new PickleError(`${where}cannot decompress ${container} data: ${err.message} (truncated or corrupt file?)`, { cause: e });
  }
}

/** Reads a joblib file (zlib, gzip or uncompressed) like joblib.load, with the safety limits of loadPickle. */
export async function readJoblibFile(path: string, opts: LoadPickleOptions = {}): Promise<unknown> {
  // Sync read on purpose: the parse after it is synchronous CPU work anyway, and fs/promises.readFile
  // costs ~0.5 ms of thread-pool round trips, more than parsing a small results file.
  const file = readFileSync(path);
  return readJoblibBytes(file, { source: path, ...opts });
}

export function readJoblibBytes(file: Uint8Array, opts: LoadPickleOptions = {}): unknown {
  const { pickle } = unwrapContainer(file, opts);
  return loadPickle(pickle, opts);
}
