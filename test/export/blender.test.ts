import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateBytes } from 'gltf-validator';
import { closeDb } from '../../lib/db';
import { exportClip, parseExportQuery } from '../../lib/export';
import { toBlender } from '../../lib/export/axes';
import { SMPL_JOINT_NAMES } from '../../lib/export/glb';
import { cameraSpaceKeypoints } from '../../lib/export/rig';
import { SmplEvaluator } from '../../lib/smpl/forward';
import { loadSmplModel } from '../../lib/smpl/load';
import type { PoseSequence } from '../../lib/pose/types';
import { standinFiles } from '../smpl/fixture';
import { blazeposeSequence, blenderJoints, phalpSample, python, readAll, storeClip, tmpFile, twoAthletes, type BlenderResult } from './fixtures';

/**
 * BVH and GLB exports read back by tools nobody here wrote: Blender's own importers (headless) and the
 * Khronos glTF validator. Joint world positions at sampled frames must equal our camera-space keypoints
 * (model space + camera translation) after the documented axis change (lib/export/axes.ts: ours (x, y, z)
 * is Blender's (x, z, -y)) within 1 cm; the largest error seen is printed.
 */

const TOLERANCE_M = 0.01;
const clips: Record<string, { id: string; seq: PoseSequence }> = {};
const worst: Record<string, number> = {};

beforeAll(async () => {
  for (const [name, seq] of [
    ['walk', await phalpSample('walk_8.pkl')],
    ['two', twoAthletes(90)],
    ['blaze', blazeposeSequence(40)],
  ] as const) {
    clips[name] = { id: await storeClip(seq), seq };
  }
});
afterAll(async () => {
  console.log('largest joint position error in Blender (cm):', Object.fromEntries(Object.entries(worst).map(([k, v]) => [k, +(v * 100).toFixed(4)])));
  await closeDb();
});

/** Frames (0-based within the export) where `track` is present, spread over the range. */
function sampleFrames(seq: PoseSequence, track: number, from: number, to: number, count = 6): number[] {
  const present = seq.frames.slice(from, to + 1).flatMap((f, i) => (f.persons.some((p) => p.track_id === track) ? [i] : []));
  const picks = Array.from({ length: count }, (_, k) => present[Math.round((k * (present.length - 1)) / (count - 1))]);
  return [...new Set(picks)];
}

/** Max distance between Blender's joint positions and our keypoints (camera space, axis-mapped). */
function compareKeypoints(label: string, res: BlenderResult, seq: PoseSequence, track: number, from: number, frames: number[], nameOf: (joint: string) => string): number {
  let max = 0;
  let compared = 0;
  for (const i of frames) {
    const person = seq.frames[from + i].persons.find((p) => p.track_id === track)!;
    const kp = cameraSpaceKeypoints(person);
    seq.joint_names.forEach((joint, j) => {
      const got = res.frames[i]?.[nameOf(joint)];
      expect(got, `${label}: joint ${nameOf(joint)} at frame ${i}`).toBeDefined();
      const want = toBlender([kp[j * 3], kp[j * 3 + 1], kp[j * 3 + 2]]);
      max = Math.max(max, Math.hypot(got[0] - want[0], got[1] - want[1], got[2] - want[2]));
      compared++;
    });
  }
  expect(compared).toBe(frames.length * seq.joint_names.length);
  worst[label] = Math.max(worst[label] ?? 0, max);
  expect(max, `${label}: largest joint error ${(max * 100).toFixed(3)} cm`).toBeLessThan(TOLERANCE_M);
  return max;
}

async function exportFile(clip: string, query: string, ctx: Parameters<typeof exportClip>[2] = {}) {
  const file = await exportClip(clips[clip].id, parseExportQuery(new URLSearchParams(query)), ctx);
  return { name: file.filename, bytes: await readAll(file.body) };
}

describe('BVH in Blender', () => {
  it('walk_8 (real PHALP): one athlete, frame count = the clip\'s, joints within 1 cm', async () => {
    const { seq } = clips.walk;
    const { name, bytes } = await exportFile('walk', 'format=bvh');
    expect(name).toMatch(/_frames-0-103_athlete-1\.bvh$/);
    const text = bytes.toString('utf8');
    expect(text).toMatch(/^HIERARCHY\nROOT MidHip\n/);
    expect(text).toContain(`Frames: ${seq.frame_count}\nFrame Time: ${(1 / seq.fps).toFixed(8)}\n`);
    const frames = sampleFrames(seq, 1, 0, seq.frame_count - 1);
    const res = blenderJoints(tmpFile(name, bytes), seq.fps, frames);
    expect(res.frame_range).toEqual([1, seq.frame_count]);
    compareKeypoints('bvh walk_8', res, seq, 1, 0, frames, (j) => j);
  });

  it('two athletes, loop range: a zip of one BVH each (read with Python\'s zipfile), each matches in Blender', async () => {
    const { seq } = clips.two;
    const from = 15;
    const to = 80;
    const { name, bytes } = await exportFile('two', `format=bvh&from=${from}&to=${to}`);
    expect(name).toMatch(/_frames-15-80_athletes-1-2\.zip$/);
    const zip = tmpFile(name, bytes);
    const dir = path.join(path.dirname(zip), 'unzipped');
    const listed = python<string[]>('import json,sys,zipfile\nz=zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None; z.extractall(sys.argv[2]); print(json.dumps(z.namelist()))', [zip, dir]);
    expect(listed).toEqual([1, 2].map((t) => expect.stringMatching(new RegExp(`_frames-15-80_athlete-${t}\\.bvh$`))));
    for (const [k, track] of [1, 2].entries()) {
      const file = path.join(dir, listed[k]);
      expect(fs.readFileSync(file, 'utf8')).toContain(`Frames: ${to - from + 1}\n`);
      const frames = sampleFrames(seq, track, from, to, 4);
      const res = blenderJoints(file, seq.fps, frames);
      expect(res.frame_range).toEqual([1, to - from + 1]);
      compareKeypoints(`bvh synthetic athlete ${track}`, res, seq, track, from, frames, (j) => j);
    }
  });

  it('blazepose33 (CPU runner): virtual Hips/Chest joints, keypoints within 1 cm', async () => {
    const { seq } = clips.blaze;
    const { name, bytes } = await exportFile('blaze', 'format=bvh&tracks=2');
    expect(bytes.toString('utf8')).toMatch(/^HIERARCHY\nROOT Hips\n/);
    const frames = sampleFrames(seq, 2, 0, seq.frame_count - 1, 4);
    const res = blenderJoints(tmpFile(name, bytes), seq.fps, frames);
    expect(res.frame_range).toEqual([1, seq.frame_count]);
    compareKeypoints('bvh blazepose33', res, seq, 2, 0, frames, (j) => j);
  });
});

describe('GLB: Khronos validator and Blender', () => {
  async function validate(bytes: Uint8Array) {
    const report = await validateBytes(new Uint8Array(bytes));
    const errors = report.issues.messages.filter((m: { severity: number }) => m.severity === 0);
    expect(errors, JSON.stringify(errors.slice(0, 5))).toEqual([]);
    expect(report.issues.numErrors).toBe(0);
    expect(report.issues.numWarnings, JSON.stringify(report.issues.messages.filter((m: { severity: number }) => m.severity === 1).slice(0, 5))).toBe(0);
    return report;
  }

  it('walk_8 with the SMPL stand-in: a skinned mesh + skeletons; 0 validator errors; keypoints, SMPL joints and skinned vertices within 1 cm', async () => {
    const { seq } = clips.walk;
    const smplPath = standinFiles().pkl;
    const { name, bytes } = await exportFile('walk', 'format=glb', { smplModelPath: smplPath });
    expect(name).toMatch(/\.glb$/);
    const report = await validate(bytes);
    expect(report.info.animationCount).toBe(1);
    expect([report.info.hasDefaultScene, report.info.hasSkins, report.info.totalVertexCount, report.info.maxInfluences]).toEqual([true, true, 6890, 4]);
    const frames = sampleFrames(seq, 1, 0, seq.frame_count - 1);
    const res = blenderJoints(tmpFile(name, bytes), seq.fps, frames);
    expect(res.keyframes).toBe(seq.frame_count);
    expect(res.frame_range[1] - res.frame_range[0] + 1).toBe(seq.frame_count);
    compareKeypoints('glb walk_8 keypoints', res, seq, 1, 0, frames, (j) => `athlete1_${j}`);

    // SMPL skeleton: our forward pass (the athlete's median betas, the frame's rotations) + camera
    const evaluator = new SmplEvaluator(await loadSmplModel(smplPath));
    const withSmpl = seq.frames.flatMap((f) => f.persons.filter((p) => p.smpl));
    const betas = Array.from({ length: 10 }, (_, b) => {
      const v = withSmpl.map((p) => p.smpl!.betas[b]).sort((x, y) => x - y);
      return v[v.length >> 1];
    });
    const { vertices, joints } = evaluator.allocateOutputs();
    let max = 0;
    for (const i of frames) {
      const p = seq.frames[i].persons[0];
      evaluator.forward({ ...p.smpl!, betas }, vertices, joints);
      SMPL_JOINT_NAMES.forEach((jn, j) => {
        const got = res.frames[i][`athlete1_smpl_${jn}`];
        expect(got, jn).toBeDefined();
        const want = toBlender([joints[j * 3] + p.camera!.tx, joints[j * 3 + 1] + p.camera!.ty, joints[j * 3 + 2] + p.camera!.tz]);
        max = Math.max(max, Math.hypot(got[0] - want[0], got[1] - want[1], got[2] - want[2]));
      });
    }
    worst['glb walk_8 SMPL joints'] = max;
    expect(max).toBeLessThan(TOLERANCE_M);

    // the skinned mesh as Blender deforms it: our linear blend skinning (no pose blend shapes, as the GLB
    // documents) with the same betas, every 50th vertex
    const lbs = new SmplEvaluator(evaluator.model, { poseBlendShapes: false });
    let maxVertex = 0;
    for (const i of frames) {
      const p = seq.frames[i].persons[0];
      lbs.forward({ ...p.smpl!, betas }, vertices);
      const got = res.meshes[i]['athlete1_body'];
      expect(got, 'mesh athlete1_body').toBeDefined();
      expect(got.length).toBe(Math.ceil(6890 / 50));
      got.forEach((g, k) => {
        const v = k * 50;
        const want = toBlender([vertices[v * 3] + p.camera!.tx, vertices[v * 3 + 1] + p.camera!.ty, vertices[v * 3 + 2] + p.camera!.tz]);
        maxVertex = Math.max(maxVertex, Math.hypot(g[0] - want[0], g[1] - want[1], g[2] - want[2]));
      });
    }
    worst['glb walk_8 SMPL mesh vertices'] = maxVertex;
    expect(maxVertex).toBeLessThan(TOLERANCE_M);
  });

  it('two athletes without a body model: animated skeletons; 0 validator errors; both within 1 cm', async () => {
    const { seq } = clips.two;
    const { name, bytes } = await exportFile('two', 'format=glb&from=5&to=84', { smplModelPath: '/nonexistent/SMPL_NEUTRAL.pkl' });
    const report = await validate(bytes);
    expect([report.info.hasDefaultScene, report.info.hasSkins, report.info.drawCallCount]).toEqual([true, false, 0]);
    for (const track of [1, 2]) {
      const frames = sampleFrames(seq, track, 5, 84, 4);
      const res = blenderJoints(tmpFile(name, bytes), seq.fps, frames);
      expect(res.keyframes).toBe(80);
      compareKeypoints(`glb synthetic athlete ${track}`, res, seq, track, 5, frames, (j) => `athlete${track}_${j}`);
    }
  });

  it('blazepose33: 0 validator errors, keypoints within 1 cm', async () => {
    const { seq } = clips.blaze;
    const { name, bytes } = await exportFile('blaze', 'format=glb&tracks=1');
    await validate(bytes);
    const frames = sampleFrames(seq, 1, 0, seq.frame_count - 1, 4);
    const res = blenderJoints(tmpFile(name, bytes), seq.fps, frames);
    compareKeypoints('glb blazepose33', res, seq, 1, 0, frames, (j) => `athlete1_${j}`);
  });
});
