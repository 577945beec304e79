import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ObjectId } from 'mongodb';
import { getDb } from '../../lib/db';
import { ensureFrameIndexes, saveSequence } from '../../lib/frames/repo';
import { BLAZEPOSE33 } from '../../lib/pose/joints';
import type { PoseSequence } from '../../lib/pose/types';
import { readPhalpResults } from '../../lib/phalp';
import { syntheticSequence } from '../frames/synthetic-sequence';
import { testTempDir } from '../setup/test-services';

/** Shared data and independent readers (Blender, Python, the Khronos validator) for the export tests. */

export const SAMPLES = path.resolve(import.meta.dirname, '../../../shared/samples/phalp');
export const PYTHON = '/usr/bin/python3';
export const BLENDER_SCRIPT = path.join(import.meta.dirname, 'blender_joints.py');

export function phalpSample(name: string): Promise<PoseSequence> {
  return readPhalpResults(path.join(SAMPLES, name));
}

/** A two-athlete PHALP-like sequence (athlete 2 enters late, both held now and then). */
export function twoAthletes(frames = 90): PoseSequence {
  return syntheticSequence({ frames, tracks: 2, seed: 7 });
}

/** A CPU-runner-like sequence: BlazePose's 33 joints, hip-centred 3D, per-keypoint scores, no SMPL, no camera. */
export function blazeposeSequence(frames = 40): PoseSequence {
  const base = syntheticSequence({ frames, tracks: 2, seed: 11 });
  const J = BLAZEPOSE33.names.length;
  return {
    ...base,
    runner: 'cpu',
    joint_set: BLAZEPOSE33.name,
    joint_names: [...BLAZEPOSE33.names],
    intrinsics: null,
    frames: base.frames.map((f) => ({
      ...f,
      persons: f.persons.map((p) => ({
        ...p,
        smpl: null,
        camera: null,
        keypoints_3d: p.keypoints_3d.slice(0, J * 3),
        keypoints_2d: p.keypoints_2d.slice(0, J * 2),
        keypoint_scores: Float32Array.from({ length: J }, (_, j) => Math.fround(0.5 + ((j * 7 + f.frame_number) % 50) / 100)),
      })),
    })),
  };
}

/** Stores a sequence under a new 'done' clip in the file's database; returns the clip id. */
export async function storeClip(seq: PoseSequence, fields: Record<string, unknown> = {}): Promise<string> {
  const db = await getDb();
  await ensureFrameIndexes(db);
  const _id = new ObjectId();
  await db.collection('clips').insertOne({ _id, filename: 'Sprint à 100m, take 2.mp4', status: 'done', createdAt: new Date(), ...fields });
  await saveSequence(_id.toHexString(), seq, { db });
  return _id.toHexString();
}

export async function readAll(stream: ReadableStream<Uint8Array>): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const c of stream as unknown as AsyncIterable<Uint8Array>) chunks.push(c);
  return Buffer.concat(chunks);
}

export function tmpFile(name: string, bytes: Uint8Array | string): string {
  // inside the run's temp folder, which the harness removes at the end of the run
  const dir = testTempDir('export-test');
  const file = path.join(dir, name);
  fs.writeFileSync(file, bytes);
  return file;
}

export interface BlenderResult {
  frame_range: [number, number];
  keyframes: number;
  frames: Record<string, Record<string, [number, number, number]>>;
  /** every 50th vertex of each mesh object, skinned, world space */
  meshes: Record<string, Record<string, [number, number, number][]>>;
}

/** Imports a BVH/GLB with Blender's own importer (headless) and reads joint world positions at `frames`. */
export function blenderJoints(file: string, fps: number, frames: number[]): BlenderResult {
  let out: string;
  try {
    out = execFileSync('blender', ['-b', '--factory-startup', '--python-exit-code', '1', '--python', BLENDER_SCRIPT, '--', file, String(fps), frames.join(',')], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (err) {
    const e = err as { code?: string; stderr?: string; stdout?: string };
    if (e.code === 'ENOENT') throw new Error("Blender is not installed: apt-get install blender (Debian's 3.4 is what these tests use)");
    throw new Error(`Blender failed on ${file}: ${e.stderr?.slice(-2000)}\n${e.stdout?.slice(-2000)}`);
  }
  const line = out.split('\n').find((l) => l.startsWith('RESULT '));
  if (!line) throw new Error(`Blender printed no result for ${file}:\n${out.slice(-2000)}`);
  return JSON.parse(line.slice(7)) as BlenderResult;
}

/** Runs a Python snippet with Debian's /usr/bin/python3 and parses the JSON it prints. */
export function python<T>(code: string, args: string[] = []): T {
  const out = execFileSync(PYTHON, ['-c', code, ...args], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  return JSON.parse(out) as T;
}
