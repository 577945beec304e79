/**
 * PHALP results reading: our read + normalise (readPhalpResults) vs Python's joblib.load on the same
 * files in the same run. Target: ours no slower than Python's. Medians over several iterations, after
 * one warm-up each (both sides). Run alone: npx tsx bench/phalp-read.bench.ts
 */
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { readJoblibFile } from '../lib/pickle';
import { readPhalpResults } from '../lib/phalp';

const SAMPLES = path.resolve(import.meta.dirname, '../../shared/samples/phalp');
const ITER = Number(process.env.BENCH_ITER ?? 9);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

const PY_TIMER = `
import sys, time, statistics, joblib
n = int(sys.argv[1])
for path in sys.argv[2:]:
    joblib.load(path)  # warm-up
    ts = []
    for _ in range(n):
        t = time.perf_counter(); joblib.load(path); ts.append((time.perf_counter() - t) * 1000)
    print(statistics.median(ts))
`;

async function timeOurs(fn: () => Promise<unknown>): Promise<number> {
  await fn();
  const ts: number[] = [];
  for (let i = 0; i < ITER; i++) {
    const t = performance.now();
    await fn();
    ts.push(performance.now() - t);
  }
  return median(ts);
}

const files = readdirSync(SAMPLES).filter((f) => f.endsWith('.pkl')).sort();
const pyOut = execFileSync('/usr/bin/python3', ['-c', PY_TIMER, String(ITER), ...files.map((f) => path.join(SAMPLES, f))], {
  encoding: 'utf8',
});
const py = pyOut.trim().split('\n').map(Number);

console.log(`phalp read: median of ${ITER} after a warm-up; python = /usr/bin/python3 joblib.load`);
// JIT warm-up over all files first, so the first measured file does not pay for it
for (let i = 0; i < 3; i++) for (const f of files) await readPhalpResults(path.join(SAMPLES, f));
for (const [i, f] of files.entries()) {
  const file = path.join(SAMPLES, f);
  const read = await timeOurs(() => readJoblibFile(file));
  const full = await timeOurs(() => readPhalpResults(file));
  console.log(`phalp read ${f}: ${read.toFixed(1)} ms (pickle only)`);
  console.log(`phalp read+normalise ${f}: ${full.toFixed(1)} ms`);
  console.log(`python joblib.load ${f}: ${py[i].toFixed(1)} ms`);
  console.log(`ratio ours/python ${f}: ${(full / py[i]).toFixed(2)} (${full <= py[i] ? 'meets' : 'MISSES'} target <= 1)`);
}
