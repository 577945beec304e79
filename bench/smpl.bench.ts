/**
 * SMPL body model figures: model file load time, transport blob size, forward pass time per
 * person-frame (6890 vertices, with pose blend shapes, one core: Node runs it on one thread).
 *
 * Uses the generated stand-in (same sizes and file format as the real model); set SMPL_BENCH_MODEL
 * to a real model file to measure that instead. Run alone: npx tsx bench/smpl.bench.ts
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { SmplEvaluator, type SmplEvaluatorOptions, type SmplPoseParams } from '../lib/smpl/forward';
import { loadSmplModel } from '../lib/smpl/load';
import { packSmplModel, unpackSmplModel } from '../lib/smpl/pack';
import { randomPose, seededRandom, standinFiles } from '../test/smpl/fixture';

const percentile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(2)} MB`;

async function timeOnce<T>(fn: () => Promise<T> | T): Promise<[T, number]> {
  const start = performance.now();
  const value = await fn();
  return [value, performance.now() - start];
}

function benchForward(label: string, evaluator: SmplEvaluator, poses: SmplPoseParams[], frames: number, sameBetas: boolean): void {
  const { vertices, joints } = evaluator.allocateOutputs();
  const track = poses.map((p) => ({ ...p, betas: poses[0].betas }));
  const input = sameBetas ? track : poses;
  for (let i = 0; i < 30; i++) evaluator.forward(input[i % input.length], vertices, joints); // warm up the JIT
  const times: number[] = [];
  // CPU time as well as wall time: on a shared, loaded machine the wall-clock median mostly
  // measures waiting for a core; CPU time per frame is what the pass itself costs.
  const cpuStart = process.cpuUsage();
  for (let i = 0; i < frames; i++) {
    const start = performance.now();
    evaluator.forward(input[i % input.length], vertices, joints);
    times.push(performance.now() - start);
  }
  const cpu = process.cpuUsage(cpuStart);
  times.sort((a, b) => a - b);
  console.log(
    `smpl forward ${label} [${evaluator.kernelKind}]: median ${percentile(times, 0.5).toFixed(2)} ms, p90 ${percentile(times, 0.9).toFixed(2)} ms, ` +
      `min ${times[0].toFixed(2)} ms wall; ${((cpu.user + cpu.system) / 1000 / frames).toFixed(2)} ms CPU per person-frame (${frames} frames)`,
  );
}

async function main() {
  const real = process.env.SMPL_BENCH_MODEL;
  let files: string[];
  if (real && existsSync(real)) {
    files = [real];
  } else {
    const [standin, generate] = await timeOnce(() => standinFiles());
    console.log(`smpl stand-in generation (or cache hit): ${generate.toFixed(0)} ms`);
    files = [standin.pkl, standin.npz, standin.npzCompressed];
  }

  let model = null;
  for (const file of files) {
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      const [m, ms] = await timeOnce(() => loadSmplModel(file));
      model ??= m;
      times.push(ms);
    }
    times.sort((a, b) => a - b);
    console.log(`smpl load ${path.basename(file)} (${mb(statSync(file).size)}): median ${times[1].toFixed(0)} ms of 3`);
  }
  if (!model) throw new Error('no model loaded');

  const [blob, packMs] = await timeOnce(() => packSmplModel(model));
  const [, unpackMs] = await timeOnce(() => unpackSmplModel(blob));
  const posedirsBytes = model.posedirs.byteLength;
  console.log(`smpl pack size: ${mb(blob.length)} (${blob.length} bytes; posedirs ${mb(posedirsBytes)}), gzip -6: ${mb(gzipSync(blob).length)}`);
  console.log(`smpl pack: ${packMs.toFixed(1)} ms, unpack: ${unpackMs.toFixed(1)} ms`);

  const random = seededRandom(11);
  const poses = Array.from({ length: 64 }, () => randomPose(random, 1.2, 1.5));
  const make = (options: SmplEvaluatorOptions) => new SmplEvaluator(model, options);
  const [fast, createMs] = await timeOnce(() => make({}));
  console.log(`smpl evaluator setup [${fast.kernelKind}]: ${createMs.toFixed(1)} ms`);
  benchForward('pose blend shapes, one track (betas cached)', fast, poses, 1000, true);
  benchForward('pose blend shapes, new betas every frame', fast, poses, 300, false);
  benchForward('no pose blend shapes, one track', make({ poseBlendShapes: false }), poses, 1000, true);
  benchForward('pose blend shapes, JavaScript fallback, one track', make({ kernel: 'js' }), poses, 100, true);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
