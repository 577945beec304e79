/**
 * The generated SMPL stand-in for tests (scripts/fixtures/make_smpl_standin.py), and the numpy
 * reference forward pass (test/smpl/smpl_reference.py).
 *
 * No vitest import here: bench/smpl.bench.ts uses this too.
 *
 * The stand-in is generated once per version of the generator into the OS temp dir (keyed by the
 * generator's hash, written to a fresh folder then renamed into place), so test files share it.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { SmplPoseParams } from '../../lib/smpl/forward';

const ROOT = path.resolve(import.meta.dirname, '../..');
export const GENERATOR = path.join(ROOT, 'scripts/fixtures/make_smpl_standin.py');
export const REFERENCE = path.join(ROOT, 'test/smpl/smpl_reference.py');
export const PYTHON = '/usr/bin/python3';

export interface StandinFiles {
  dir: string;
  pkl: string;
  npz: string;
  npzCompressed: string;
}

export function standinFiles(extraArgs: string[] = []): StandinFiles {
  const hash = createHash('sha256').update(readFileSync(GENERATOR)).update(extraArgs.join('\0')).digest('hex').slice(0, 16);
  const dir = path.join(os.tmpdir(), `smpl-standin-${hash}`);
  if (!existsSync(path.join(dir, 'SMPL_NEUTRAL.pkl'))) {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'smpl-standin-tmp-'));
    execFileSync(PYTHON, [GENERATOR, tmp, ...extraArgs], { stdio: 'pipe' });
    try {
      renameSync(tmp, dir);
    } catch {
      rmSync(tmp, { recursive: true, force: true }); // another process got there first
    }
  }
  return {
    dir,
    pkl: path.join(dir, 'SMPL_NEUTRAL.pkl'),
    npz: path.join(dir, 'SMPL_NEUTRAL.npz'),
    npzCompressed: path.join(dir, 'SMPL_NEUTRAL_compressed.npz'),
  };
}

export interface ReferenceResult {
  vertices: number[];
  joints: number[];
}

/** Run the numpy reference forward pass on these poses (values as given, float64 in numpy). */
export function referenceForward(npzPath: string, poses: SmplPoseParams[]): ReferenceResult[] {
  const input = JSON.stringify(poses.map((p) => ({
    global_orient: Array.from(p.global_orient),
    body_pose: Array.from(p.body_pose),
    betas: Array.from(p.betas),
  })));
  const out = execFileSync(PYTHON, [REFERENCE, npzPath], { input, maxBuffer: 1 << 30 });
  return JSON.parse(out.toString()) as ReferenceResult[];
}

/** Deterministic pseudo-random numbers (mulberry32), so failures reproduce. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A random rotation matrix (row-major, float32 values), from a random unit quaternion scaled to `maxAngle`. */
export function randomRotation(random: () => number, maxAngle = Math.PI): number[] {
  let [x, y, z] = [random() - 0.5, random() - 0.5, random() - 0.5];
  const n = Math.hypot(x, y, z) || 1;
  const angle = (random() * 2 - 1) * maxAngle;
  const s = Math.sin(angle / 2) / n;
  const w = Math.cos(angle / 2);
  [x, y, z] = [x * s, y * s, z * s];
  return [
    1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w),
    2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w),
    2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y),
  ].map(Math.fround);
}

export const IDENTITY = [1, 0, 0, 0, 1, 0, 0, 0, 1];

export function randomPose(random: () => number, maxAngle: number, betaScale: number): SmplPoseParams {
  return {
    global_orient: Float32Array.from(randomRotation(random)),
    body_pose: Float32Array.from(Array.from({ length: 23 }, () => randomRotation(random, maxAngle)).flat()),
    betas: Float32Array.from({ length: 10 }, () => (random() * 2 - 1) * betaScale),
  };
}

