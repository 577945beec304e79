/** Our reader vs Python's joblib.load, byte for byte on the canonical JSON, for every sample and fixture. */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readJoblibFile } from '../../lib/pickle';
import { toPythonJson } from '../../lib/pickle/pyjson';
import { SAMPLES, makeFixtures, pythonJsonMany } from './fixtures';

function firstDifference(a: string, b: string): string {
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return `at char ${i}:\n ours:   ${a.slice(Math.max(0, i - 80), i + 80)}\n python: ${b.slice(Math.max(0, i - 80), i + 80)}`;
}

const python = new Map<string, string>();
function loadPython(files: string[], latin1 = false) {
  pythonJsonMany(files, latin1).forEach((json, i) => python.set(files[i], json));
}

async function expectSameAsPython(file: string) {
  const ours = toPythonJson(await readJoblibFile(file));
  const theirs = python.get(file);
  if (theirs === undefined) throw new Error(`no Python output for ${file}`);
  if (ours !== theirs) expect.fail(`${path.basename(file)} differs ${firstDifference(ours, theirs)}`);
  return ours;
}

describe('shared PHALP samples', () => {
  const files = readdirSync(SAMPLES).filter((f) => f.endsWith('.pkl'));
  beforeAll(() => loadPython(files.map((f) => path.join(SAMPLES, f))));
  it('has the four samples', () => expect(files.length).toBeGreaterThanOrEqual(4));
  for (const f of files) {
    it(f, async () => {
      const json = await expectSameAsPython(path.join(SAMPLES, f));
      expect(json.length).toBeGreaterThan(1000);
    });
  }
});

describe('generated fixtures', () => {
  let fx: ReturnType<typeof makeFixtures>;
  const latin1Names = [2, 3, 4, 5].map((p) => `numpy_plain_p${p}.pkl`).concat('py2_numpy.pkl');
  beforeAll(() => {
    fx = makeFixtures();
    loadPython(names.map((n) => path.join(fx.dir, n)));
    loadPython(latin1Names.map((n) => path.join(fx.dir, n)), true);
  });
  afterAll(() => fx?.cleanup());

  const names = [
    ...['zlib', 'gzip', 'plain', 'p2', 'p3', 'p4', 'p5'].map((k) => `multi_${k}.pkl`),
    ...[2, 3, 4, 5].flatMap((p) => [`values_zlib_p${p}.pkl`, `values_plain_p${p}.pkl`]),
    'values_gzip.pkl',
  ];
  for (const n of names) it(n, () => expectSameAsPython(path.join(fx.dir, n)));
  // plain pickle.dump of numpy arrays (_reconstruct / _frombuffer) and scipy; Python 2 style: latin1
  for (const n of latin1Names) it(n, () => expectSameAsPython(path.join(fx.dir, n)));
});
