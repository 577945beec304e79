import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSmplModel, loadSmplModelCached } from '../../lib/smpl/load';
import { SmplModelError, type SmplModel } from '../../lib/smpl/model';
import { parseNpy, readNpz } from '../../lib/smpl/npy';
import { expectSameModel } from './expect-model';
import { PYTHON, standinFiles, type StandinFiles } from './fixture';

const SMPL_PARENTS = [-1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 12, 13, 14, 16, 17, 18, 19, 20, 21];

let files: StandinFiles;
let fromPkl: SmplModel;
let tmp: string;

beforeAll(async () => {
  files = standinFiles();
  fromPkl = await loadSmplModel(files.pkl);
  tmp = mkdtempSync(path.join(os.tmpdir(), 'smpl-load-test-'));
});

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** Run numpy on the stand-in's npz to get a value to compare with, independent of our readers. */
function numpy(expr: string): unknown {
  const code = `import numpy as np, json\nz = np.load(${JSON.stringify(files.npz)})\nprint(json.dumps(${expr}))`;
  return JSON.parse(execFileSync(PYTHON, ['-c', code]).toString());
}

async function expectModelError(p: string, code: SmplModelError['code'], message: RegExp) {
  const err = await loadSmplModel(p).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(SmplModelError);
  expect((err as SmplModelError).code).toBe(code);
  expect((err as Error).message).toMatch(message);
}

describe('loadSmplModel on the stand-in pickle (Python 2 style, chumpy shapedirs, csc J_regressor)', () => {
  it('has the SMPL sizes and joint tree (root parent stored as 4294967295 becomes -1)', () => {
    expect(fromPkl.numVertices).toBe(6890);
    expect(fromPkl.numJoints).toBe(24);
    expect(fromPkl.numBetas).toBe(10);
    expect(fromPkl.faces.length).toBe(13776 * 3);
    expect(Array.from(fromPkl.parents)).toEqual(SMPL_PARENTS);
    expect(fromPkl.posedirs.length).toBe(207 * 6890 * 3);
  });

  it('reads the values numpy reads, in the documented layouts (Fortran-ordered arrays included)', () => {
    const probes = numpy(`{
      'v': z['v_template'][1234].tolist(),
      'sd': z['shapedirs'][4321, 2].tolist(),
      'pd': [float(z['posedirs'][v, c, p]) for v, c, p in [(0, 0, 0), (6889, 2, 206), (3000, 1, 100), (17, 0, 9)]],
      'w': z['weights'][5000].tolist(),
      'f': z['f'][13775].tolist(),
      'jr': [[int(i), float(z['J_regressor'][5, i])] for i in np.nonzero(z['J_regressor'][5])[0]],
    }`) as { v: number[]; sd: number[]; pd: number[]; w: number[]; f: number[]; jr: [number, number][] };
    const m = fromPkl;
    const V3 = m.numVertices * 3;
    expect(Array.from(m.vTemplate.subarray(1234 * 3, 1235 * 3))).toEqual(probes.v.map(Math.fround));
    expect(Array.from(m.shapedirs.subarray((4321 * 3 + 2) * 10, (4321 * 3 + 3) * 10))).toEqual(probes.sd.map(Math.fround));
    const pd = [[0, 0, 0], [6889, 2, 206], [3000, 1, 100], [17, 0, 9]].map(([v, c, p]) => m.posedirs[p * V3 + v * 3 + c]);
    expect(pd).toEqual(probes.pd.map(Math.fround));
    expect(Array.from(m.weights.subarray(5000 * 24, 5001 * 24))).toEqual(probes.w.map(Math.fround));
    expect(Array.from(m.faces.subarray(13775 * 3))).toEqual(probes.f);
    const row = Array.from({ length: m.jRegressor.rowPtr[6] - m.jRegressor.rowPtr[5] }, (_, i) => {
      const k = m.jRegressor.rowPtr[5] + i;
      return [m.jRegressor.colIdx[k], m.jRegressor.values[k]];
    });
    expect(row).toEqual(probes.jr.map(([i, x]) => [i, Math.fround(x)]));
  });

  it('keeps exactly the non-zero skinning weights per vertex (at most 4 in the stand-in)', () => {
    const { offsets, joints, weights } = fromPkl.skin;
    const wrong: number[] = [];
    let most = 0;
    for (let v = 0; v < fromPkl.numVertices; v++) {
      const sparse = new Float32Array(24);
      for (let k = offsets[v]; k < offsets[v + 1]; k++) sparse[joints[k]] = weights[k];
      if (sparse.some((w, j) => w !== fromPkl.weights[v * 24 + j])) wrong.push(v);
      most = Math.max(most, offsets[v + 1] - offsets[v]);
    }
    expect(wrong).toEqual([]);
    expect(most).toBe(4);
    expect(offsets[fromPkl.numVertices]).toBe(fromPkl.weights.filter((w) => w !== 0).length);
  });
});

describe('loadSmplModel on other encodings of the same model', () => {
  it('reads the .npz (stored and deflated) to arrays identical to the pickle', async () => {
    expectSameModel(await loadSmplModel(files.npz), fromPkl);
    expectSameModel(await loadSmplModel(files.npzCompressed), fromPkl);
  });

  it('reads a pickle naming the newer scipy module (scipy.sparse._csc)', async () => {
    const newer = standinFiles(['--scipy-module', 'scipy.sparse._csc']);
    expect(readFileSync(newer.pkl).includes(Buffer.from('scipy.sparse._csc\ncsc_matrix'))).toBe(true);
    expectSameModel(await loadSmplModel(newer.pkl), fromPkl);
  });

  it('keeps the first 10 betas of a model with more, accepts a dense J_regressor', async () => {
    const p = path.join(tmp, 'wide.npz');
    execFileSync(PYTHON, ['-c', `
import numpy as np
z = dict(np.load(${JSON.stringify(files.npz)}))
z['shapedirs'] = np.concatenate([z['shapedirs'], np.ones((6890, 3, 290))], axis=2)
np.savez(${JSON.stringify(p)}, **z)`]);
    const wide = await loadSmplModel(p);
    expect(wide.numBetas).toBe(10);
    expectSameModel(wide, fromPkl);
  });
});

describe('loadSmplModelCached', () => {
  it('loads once per file version and re-reads a changed file', async () => {
    const p = path.join(tmp, 'cached.npz');
    copyFileSync(files.npz, p);
    const first = await loadSmplModelCached(p);
    expect(await loadSmplModelCached(p)).toBe(first);
    utimesSync(p, new Date(), new Date(Date.now() + 5000));
    const second = await loadSmplModelCached(p);
    // (second === first) rather than .not.toBe(first): vitest deep-compares both models to word its message
    expect(second === first).toBe(false);
    expectSameModel(second, first);
    rmSync(p);
    await expect(loadSmplModelCached(p)).rejects.toThrow(/SMPL body model not found/);
  });
});

describe('parseNpy', () => {
  it('reads Fortran-ordered arrays of several dtypes as numpy does (C order out)', () => {
    const p = path.join(tmp, 'mixed.npz');
    execFileSync(PYTHON, ['-c', `
import numpy as np
a = np.arange(24, dtype=np.int64).reshape(2, 3, 4)
np.savez(${JSON.stringify(p)}, f3=np.asfortranarray(a.astype(np.float32)), f2=np.asfortranarray(a.reshape(6, 4).astype(np.uint16)),
         i8=a, f4d=np.asfortranarray(np.arange(120, dtype=np.float64).reshape(2, 3, 4, 5)), s=np.array(['x']))`]);
    const z = readNpz(readFileSync(p), ['f3', 'f2', 'i8', 'f4d']);
    const expected = Array.from({ length: 24 }, (_, i) => i);
    expect(z.get('f3')).toMatchObject({ dtype: '<f4', shape: [2, 3, 4] });
    expect(Array.from(z.get('f3')!.data as Float32Array)).toEqual(expected);
    expect(Array.from(z.get('f2')!.data as Uint16Array)).toEqual(expected);
    expect(Array.from(z.get('i8')!.data as BigInt64Array, Number)).toEqual(expected);
    expect(Array.from(z.get('f4d')!.data as Float64Array)).toEqual(Array.from({ length: 120 }, (_, i) => i));
    // unicode arrays are refused when asked for, by name
    expect(() => readNpz(readFileSync(p), ['s'])).toThrow(/unsupported dtype '<U1'/);
  });

  it('refuses non-npy bytes and truncated data', () => {
    expect(() => parseNpy(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]))).toThrow(/not a \.npy/);
    const p = path.join(tmp, 'one.npy');
    execFileSync(PYTHON, ['-c', `import numpy as np; np.save(${JSON.stringify(p)}, np.arange(10.0))`]);
    const npy = readFileSync(p);
    expect(Array.from(parseNpy(npy).data as Float64Array)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(() => parseNpy(npy.subarray(0, npy.length - 8), 'one.npy')).toThrow(/one\.npy: truncated \(72 of 80 data bytes\)/);
  });
});

describe('loadSmplModel errors', () => {
  it('a missing file says where it looked and how to fix it', async () => {
    await expectModelError(path.join(tmp, 'nope', 'SMPL_NEUTRAL.pkl'), 'not_found', /SMPL body model not found at .*nope\/SMPL_NEUTRAL\.pkl; set SMPL_MODEL_PATH/);
  });

  it('a folder is refused', async () => {
    await expectModelError(tmp, 'unreadable', /points to a folder/);
  });

  it('garbage bytes, a truncated pickle and a truncated npz are unreadable', async () => {
    const garbage = path.join(tmp, 'garbage.pkl');
    writeFileSync(garbage, Buffer.from('this is not a pickle at all, just text\n'));
    await expectModelError(garbage, 'unreadable', /garbage\.pkl is not a readable SMPL body model/);

    const cut = path.join(tmp, 'cut.pkl');
    writeFileSync(cut, readFileSync(files.pkl).subarray(0, 1_000_000));
    await expectModelError(cut, 'unreadable', /cut\.pkl is not a readable SMPL body model/);

    const cutNpz = path.join(tmp, 'cut.npz');
    writeFileSync(cutNpz, readFileSync(files.npz).subarray(0, 1_000_000));
    await expectModelError(cutNpz, 'unreadable', /cut\.npz is not a readable SMPL body model/);
  });

  it('a pickle or npz of something else names what is missing or wrong', async () => {
    const other = path.join(tmp, 'other.pkl');
    execFileSync(PYTHON, ['-c', `import pickle; pickle.dump({'a': 1, 'b': [1, 2]}, open(${JSON.stringify(other)}, 'wb'), protocol=2)`]);
    await expectModelError(other, 'invalid', /other\.pkl is not an SMPL body model: missing 'v_template', .*'f' \(found: a, b\)/);

    const list = path.join(tmp, 'list.pkl');
    execFileSync(PYTHON, ['-c', `import pickle; pickle.dump([1, 2, 3], open(${JSON.stringify(list)}, 'wb'))`]);
    await expectModelError(list, 'invalid', /does not hold a dict/);

    const npz = path.join(tmp, 'other.npz');
    execFileSync(PYTHON, ['-c', `import numpy as np; np.savez(${JSON.stringify(npz)}, v_template=np.zeros((10, 3)))`]);
    await expectModelError(npz, 'invalid', /missing 'shapedirs', 'posedirs', 'J_regressor', 'weights', 'kintree_table', 'f'/);
  });

  it('wrong shapes and bad indices are named', async () => {
    const variants: [string, string, RegExp][] = [
      ['short', "z['weights'] = z['weights'][:100]", /'weights' has shape \(100, 24\), expected \(6890, \*\)/],
      ['posedirs', "z['posedirs'] = z['posedirs'][:, :, :200]", /'posedirs' has shape \(6890, 3, 200\), expected \(6890, 3, 207\)/],
      ['faces', "z['f'][7, 1] = 6890", /'f' references vertex 6890 of 6890/],
      ['parents', "z['kintree_table'][0, 5] = 9", /'kintree_table' gives joint 5 the parent 9/],
      ['nan', "z['v_template'][3, 1] = np.nan", /'v_template' has non-finite values/],
    ];
    for (const [name, edit, message] of variants) {
      const p = path.join(tmp, `${name}.npz`);
      execFileSync(PYTHON, ['-c', `import numpy as np\nz = dict(np.load(${JSON.stringify(files.npz)}))\n${edit}\nnp.savez(${JSON.stringify(p)}, **z)`]);
      await expectModelError(p, 'invalid', message);
    }
  });
});
