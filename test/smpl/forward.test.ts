import { beforeAll, describe, expect, it } from 'vitest';
import { SmplEvaluator, type SmplPoseParams } from '../../lib/smpl/forward';
import { loadSmplModel } from '../../lib/smpl/load';
import type { SmplModel } from '../../lib/smpl/model';
import { wasmSimdSupported } from '../../lib/smpl/blend-kernel';
import { IDENTITY, randomPose, referenceForward, seededRandom, standinFiles, type ReferenceResult } from './fixture';

const TOLERANCE = 1e-5; // metres, absolute, against numpy float64

let model: SmplModel;
let poses: { name: string; pose: SmplPoseParams }[];
let expected: ReferenceResult[];

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

beforeAll(async () => {
  const files = standinFiles();
  model = await loadSmplModel(files.pkl);
  const random = seededRandom(7);
  const rest = { global_orient: IDENTITY, body_pose: Array.from({ length: 23 }, () => IDENTITY).flat() };
  poses = [
    { name: 'identity, betas 0', pose: { ...rest, betas: new Array(10).fill(0) } },
    { name: 'identity, betas non-zero', pose: { ...rest, betas: [2, -1.5, 1, 0.5, -0.5, 3, -2, 0.25, 1, -1] } },
    { name: 'small random rotations', pose: randomPose(random, 0.4, 0) },
    { name: 'random rotations + betas', pose: randomPose(random, Math.PI / 2, 1.5) },
    { name: 'large random rotations + betas', pose: randomPose(random, Math.PI, 2) },
    { name: 'fewer betas given (rest count as 0)', pose: { ...randomPose(random, 1, 0), betas: [1.2, -0.7] } },
  ];
  expected = referenceForward(files.npz, poses.map((p) => p.pose));
});

describe.each(['wasm', 'js'] as const)('SmplEvaluator (%s pose blend kernel) vs the numpy reference', (kernel) => {
  it.skipIf(kernel === 'wasm' && !wasmSimdSupported())('matches vertices and posed joints to 1e-5 for every pose', () => {
    const evaluator = new SmplEvaluator(model, { kernel });
    expect(evaluator.kernelKind).toBe(kernel);
    const { vertices, joints } = evaluator.allocateOutputs();
    poses.forEach(({ name, pose }, i) => {
      vertices.fill(NaN);
      joints.fill(NaN);
      evaluator.forward(pose, vertices, joints);
      expect(maxAbsDiff(vertices, expected[i].vertices), `${name}: vertices`).toBeLessThan(TOLERANCE);
      expect(maxAbsDiff(joints, expected[i].joints), `${name}: joints`).toBeLessThan(TOLERANCE);
    });
  });
});

describe('SmplEvaluator behaviour', () => {
  it('the poses actually move the body (the comparison is not trivially passing)', () => {
    // rest vs large rotations: vertices must differ by far more than the tolerance
    expect(maxAbsDiff(expected[0].vertices, expected[4].vertices)).toBeGreaterThan(0.3);
    // pose blend shapes matter: without them the result is off by more than the tolerance
    const plain = new SmplEvaluator(model, { poseBlendShapes: false });
    expect(plain.kernelKind).toBe('none');
    const { vertices } = plain.allocateOutputs();
    plain.forward(poses[3].pose, vertices);
    expect(maxAbsDiff(vertices, expected[3].vertices)).toBeGreaterThan(1e-3);
  });

  it('alternating betas (two tracks) through the shape cache gives the same results as fresh evaluators', () => {
    const shared = new SmplEvaluator(model, { shapeCacheSize: 1 });
    const out = shared.allocateOutputs();
    for (const i of [3, 4, 3, 1, 4, 3]) {
      shared.forward(poses[i].pose, out.vertices, out.joints);
      expect(maxAbsDiff(out.vertices, expected[i].vertices), `pose ${i}`).toBeLessThan(TOLERANCE);
    }
    // a cache hit returns the cached shape object; other betas get their own while the cache has room
    const two = new SmplEvaluator(model, { shapeCacheSize: 2 });
    const a = two.shape(poses[3].pose.betas);
    expect(two.shape(Float32Array.from(poses[3].pose.betas))).toBe(a);
    const b = two.shape(poses[4].pose.betas);
    expect(b === a).toBe(false);
    expect(two.shape(poses[3].pose.betas)).toBe(a);
    expect(Array.from(b.betas)).toEqual(Array.from(poses[4].pose.betas));
  });

  it('posed joints without a buffer are optional; wrong sizes are refused', () => {
    const evaluator = new SmplEvaluator(model);
    const { vertices } = evaluator.allocateOutputs();
    evaluator.forward(poses[2].pose, vertices);
    expect(maxAbsDiff(vertices, expected[2].vertices)).toBeLessThan(TOLERANCE);
    const pose = poses[2].pose;
    expect(() => evaluator.forward({ ...pose, body_pose: new Float32Array(69) }, vertices)).toThrow(/body_pose has 69 values, expected 207/);
    expect(() => evaluator.forward({ ...pose, global_orient: [1, 0, 0] }, vertices)).toThrow(/global_orient has 3 values/);
    expect(() => evaluator.forward(pose, new Float32Array(10))).toThrow(/vertices buffer has 10 values/);
    expect(() => evaluator.forward(pose, vertices, new Float32Array(3))).toThrow(/joints buffer has 3 values/);
  });
});
