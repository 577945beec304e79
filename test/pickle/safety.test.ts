/** Reading executes nothing, names the refused global, and fails clearly on bombs, nesting and truncation. */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PickleError, isTuple, loadPickle, readJoblibBytes, readJoblibFile } from '../../lib/pickle';
import { decodeLong } from '../../lib/pickle/reader';
import { PY, SAMPLES, makeFixtures } from './fixtures';

const bytes = (...parts: (string | number[])[]) =>
  Uint8Array.from(parts.flatMap((p) => (typeof p === 'string' ? [...p].map((c) => c.charCodeAt(0)) : p)));

describe('hostile pickles', () => {
  let fx: ReturnType<typeof makeFixtures>;
  let manifest: Record<string, { path: string; marker: string; global: string }>;
  beforeAll(() => {
    fx = makeFixtures(['--bomb']);
    manifest = JSON.parse(readFileSync(path.join(fx.dir, 'hostile.json'), 'utf8'));
  });
  afterAll(() => fx?.cleanup());

  it('covers GLOBAL, STACK_GLOBAL, REDUCE, INST, OBJ and a joblib container', () => {
    expect(Object.keys(manifest).sort()).toEqual(
      ['builtins_eval', 'inst', 'obj', 'os_system_global', 'os_system_in_joblib', 'os_system_stack_global', 'subprocess_popen'],
    );
  });

  it('each one throws naming the global and runs nothing', async () => {
    for (const [name, h] of Object.entries(manifest)) {
      await expect(readJoblibFile(h.path), name).rejects.toThrow(`pickle refers to ${h.global}, which is not allowed`);
      expect(existsSync(h.marker), `${name} must not have run`).toBe(false);
    }
  });

  it('...and they are real: Python unpickling them does create the marker files', () => {
    const script = [
      'import json, sys, pickle, joblib',
      'for h in json.load(open(sys.argv[1])).values():',
      "    joblib.load(h['path']) if h['path'].endswith('in_joblib.pkl') else pickle.load(open(h['path'], 'rb'))",
    ].join('\n');
    execFileSync(PY, ['-c', script, path.join(fx.dir, 'hostile.json')], { stdio: 'ignore', timeout: 60_000 });
    for (const h of Object.values(manifest)) expect(existsSync(h.marker)).toBe(true);
  });

  it('a zlib bomb (1.5 GiB of zeros) fails with a clear message', async () => {
    await expect(readJoblibFile(path.join(fx.dir, 'bomb.pkl'))).rejects.toThrow(
      /decompressed data exceeds the limit of 1073741824 bytes \(refusing a possible zlib bomb\)/,
    );
    await expect(readJoblibFile(path.join(fx.dir, 'bomb.pkl'), { maxDecompressedBytes: 1 << 20 })).rejects.toThrow(/limit of 1048576 bytes/);
  });

  it('refuses unknown globals even when the pickle never calls them', () => {
    const p = bytes([0x80, 2], 'cos\nsystem\n', '.');
    expect(() => loadPickle(p)).toThrow('pickle refers to os.system, which is not allowed');
  });

  it('an array larger than the limit fails before reading it', async () => {
    const file = path.join(fx.dir, 'multi_zlib.pkl');
    await expect(readJoblibFile(file, { maxArrayBytes: 100 })).rejects.toThrow(/an array of \d+ bytes exceeds the limit of 100 bytes/);
  });
});

describe('structure limits', () => {
  it('deep nesting fails clearly', () => {
    const n = 500;
    const p = bytes([0x80, 2], ']'.repeat(n), 'a'.repeat(n - 1), '.');
    expect(() => loadPickle(p)).toThrow(/nests deeper than 100 levels/);
    const ok = bytes([0x80, 2], ']'.repeat(50), 'a'.repeat(49), '.');
    expect(Array.isArray(loadPickle(ok))).toBe(true);
  });

  it('a cycle fails clearly instead of hanging later', () => {
    // list; memo 0; get 0; append -> a list that contains itself
    const p = bytes([0x80, 2], ']', [0x71, 0], [0x68, 0], 'a', '.');
    expect(() => loadPickle(p)).toThrow(/nests deeper than 100 levels \(or contains a cycle\)/);
  });

  it('a memo reference that was never stored fails clearly', () => {
    expect(() => loadPickle(bytes([0x80, 2], [0x68, 9], '.'))).toThrow(/memo entry that was never stored/);
  });
});

describe('truncated and corrupt files', () => {
  const walk = readFileSync(path.join(SAMPLES, 'walk_8.pkl'));
  it('a cut zlib stream', () => {
    expect(() => readJoblibBytes(walk.subarray(0, walk.length >> 1), { source: 'walk_8.pkl' })).toThrow(
      /walk_8.pkl: cannot decompress zlib data: .*\(truncated or corrupt file\?\)/,
    );
  });
  it('a pickle cut inside an array, and inside opcodes', () => {
    const pickle = zlib.inflateSync(walk);
    expect(() => loadPickle(pickle.subarray(0, 5000))).toThrow(PickleError);
    for (const cut of [5000, 123_457, pickle.length - 3]) {
      expect(() => loadPickle(pickle.subarray(0, cut))).toThrow(/truncated|remain/);
    }
  });
  it('a plain pickle cut in the middle', () => {
    const plain = readFileSync(path.join(SAMPLES, 'seated_60fps_plain.pkl'));
    expect(() => readJoblibBytes(plain.subarray(0, 100_000))).toThrow(PickleError);
  });
  it('empty and unsupported containers', () => {
    expect(() => readJoblibBytes(new Uint8Array(0))).toThrow('empty file');
    expect(() => readJoblibBytes(bytes('BZh91AY&SY'))).toThrow(/bz2-compressed joblib files are not supported/);
  });
});

describe('values pickleparser gets wrong on its own', () => {
  it('LONG1/LONG4 negatives and huge values', () => {
    expect(decodeLong(Uint8Array.from([0xff]))).toBe(-1);
    expect(decodeLong(Uint8Array.from([0x00, 0x00, 0x00, 0x80, 0xff]))).toBe(-(2 ** 31));
    expect(decodeLong(Uint8Array.from([0, 0, 0, 0, 0, 0xff]))).toBe(-(2 ** 40));
    expect(decodeLong(Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0xc0]))).toBe(-(2n ** 70n));
    // LONG1 of -2**40 inside a tuple key of a dict
    const p = bytes([0x80, 2], '}', [0x8a, 6, 0, 0, 0, 0, 0, 0xff], 'K', [1], [0x86], 'X', [1, 0, 0, 0], 'v', 's.');
    const m = loadPickle(p) as Map<unknown, unknown>;
    const [key] = [...m.keys()];
    expect(isTuple(key)).toBe(true);
    expect([...(key as unknown[])]).toEqual([-(2 ** 40), 1]);
    expect(Object.isFrozen(key)).toBe(true);
  });
  it('Python 2 str is latin1, not windows-1252', () => {
    const p = bytes([0x80, 2], 'U', [3, 0x80, 0x9f, 0xe9], '.');
    expect(loadPickle(p)).toBe('\u0080\u009f\u00e9');
  });
  it('protocol 0/1 DICT builds a Map', () => {
    const p = bytes('(', 'X', [1, 0, 0, 0], 'a', 'K', [1], 'd.');
    expect(loadPickle(p)).toEqual(new Map([['a', 1]]));
  });
});

describe('pkl:json script', () => {
  it('prints a refused global as a clear error with exit code 1', () => {
    const tmp = path.join(process.env.TMPDIR ?? '/tmp', `evil-${process.pid}.pkl`);
    writeFileSync(tmp, bytes([0x80, 2], 'cbuiltins\neval\n', '.'));
    let err = '';
    try {
      execFileSync('npx', ['tsx', 'scripts/pkl-json.ts', tmp], { cwd: path.resolve(import.meta.dirname, '../..'), stdio: 'pipe' });
    } catch (e) {
      err = String((e as { stderr: Buffer }).stderr);
      expect((e as { status: number }).status).toBe(1);
    }
    expect(err).toContain('pickle refers to builtins.eval, which is not allowed');
  });
});
