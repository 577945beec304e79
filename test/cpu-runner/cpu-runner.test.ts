import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, mkdir, copyFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jointSet } from '../../lib/pose/joints';
import type { PersonPose, PoseSequence } from '../../lib/pose/types';
import { extractFrames, probeVideo } from '../../lib/video';
import { createCpuRunner } from '../../worker/runners/cpu';
import { RunnerError, type PreparedClip, type RunnerProgress } from '../../worker/runners/types';

// The real sample: two people, one walks on the grass, the other walks on a wall and jumps off it.
const SAMPLE = path.resolve('../shared/samples/video/two_people_jump.mp4');

let tmp: string;
let clip: PreparedClip;
let seq: PoseSequence;
const progress: RunnerProgress[] = [];

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'cpu-runner-'));
  const framesDir = path.join(tmp, 'frames');
  const video = await probeVideo(SAMPLE);
  const frameIndex = await extractFrames(SAMPLE, framesDir, { info: video, quality: 2 });
  await mkdir(path.join(tmp, 'work'));
  clip = { clipId: 'cpu-runner-test', framesDir, frameIndex, video, workDir: path.join(tmp, 'work') };
  seq = await createCpuRunner().run(clip, { signal: new AbortController().signal, onProgress: (p) => progress.push(p) });
}, 180_000);

afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

/** Names of this process's child processes (ps exits 1 when there are none). */
function childCommands(): string {
  try {
    return execFileSync('ps', ['-o', 'comm=', '--ppid', String(process.pid)], { encoding: 'utf8' });
  } catch {
    return '';
  }
}

const centre = (p: PersonPose) => [p.bbox[0] + p.bbox[2] / 2, p.bbox[1] + p.bbox[3] / 2] as const;
const kp = (p: PersonPose, name: string) => {
  const i = jointSet('blazepose33').names.indexOf(name);
  return { x: p.keypoints_2d[2 * i]!, y: p.keypoints_2d[2 * i + 1]!, X: p.keypoints_3d[3 * i]!, Y: p.keypoints_3d[3 * i + 1]!, Z: p.keypoints_3d[3 * i + 2]! };
};

describe('CPU runner on the two-people sample clip', () => {
  it('returns every video frame in order, in the pose data model', () => {
    expect(seq.runner).toBe('cpu');
    expect(seq.joint_set).toBe('blazepose33');
    expect(seq.joint_names).toEqual([...jointSet('blazepose33').names]);
    expect([seq.width, seq.height, seq.frame_count]).toEqual([1768, 994, 230]);
    expect(seq.frames.map((f) => f.frame_number)).toEqual([...Array(230).keys()]);
    expect(seq.frames[1]!.timestamp).toBeCloseTo(1 / 30, 5);
    const J = seq.joint_names.length;
    for (const f of seq.frames) {
      for (const p of f.persons) {
        expect(p.state).toBe('detected');
        expect(p.smpl).toBeNull();
        expect(p.keypoints_2d.length).toBe(2 * J);
        expect(p.keypoints_3d.length).toBe(3 * J);
        expect(p.keypoint_scores!.length).toBe(J);
        expect(p.confidence!).toBeGreaterThanOrEqual(0);
        expect(p.confidence!).toBeLessThanOrEqual(1);
        expect(p.tracking_confidence).toBeGreaterThanOrEqual(0);
        expect(p.tracking_confidence).toBeLessThanOrEqual(1);
        // bbox inside the original video frame, in its pixels
        expect(p.bbox[0]).toBeGreaterThanOrEqual(0);
        expect(p.bbox[1]).toBeGreaterThanOrEqual(0);
        expect(p.bbox[0] + p.bbox[2]).toBeLessThanOrEqual(1768 + 1);
        expect(p.bbox[1] + p.bbox[3]).toBeLessThanOrEqual(994 + 1);
      }
    }
    // progress: 'tracking' stage, rising to 1, with an ETA
    const tracking = progress.filter((p) => p.stage === 'tracking');
    expect(tracking.at(-1)!.progress).toBe(1);
    expect(tracking.some((p) => typeof p.etaSeconds === 'number')).toBe(true);
  });

  it('finds a person in at least 90% of the frames', () => {
    const withPerson = seq.frames.filter((f) => f.persons.length > 0).length;
    expect(withPerson / seq.frames.length).toBeGreaterThanOrEqual(0.9);
  });

  it('tracks the two people as two distinct ids while both are in view', () => {
    // both are in view from about frame 40 (second person enters) to 160 (jumper takes off)
    const window = seq.frames.slice(45, 160);
    const two = window.filter((f) => new Set(f.persons.map((p) => p.track_id)).size >= 2);
    expect(two.length / window.length).toBeGreaterThanOrEqual(0.9);
    // and overall no more than a few ids were handed out (no id per frame)
    const ids = new Set(seq.frames.flatMap((f) => f.persons.map((p) => p.track_id)));
    expect(ids.size).toBeGreaterThanOrEqual(2);
    expect(ids.size).toBeLessThanOrEqual(4);
  });

  it('keeps ids stable: no swap between consecutive frames where both are detected', () => {
    let checked = 0;
    for (let i = 1; i < seq.frames.length; i++) {
      const a = seq.frames[i - 1]!.persons, b = seq.frames[i]!.persons;
      if (a.length < 2 || b.length < 2) continue;
      for (const p of b) {
        const prev = a.find((q) => q.track_id === p.track_id);
        if (!prev) continue;
        // the same id is the nearest box centre of the previous frame
        const [x, y] = centre(p);
        const nearest = a.reduce((best, q) => (Math.hypot(centre(q)[0] - x, centre(q)[1] - y) < Math.hypot(centre(best)[0] - x, centre(best)[1] - y) ? q : best));
        expect(nearest.track_id, `frame ${i} track ${p.track_id}`).toBe(p.track_id);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(100);
  });

  it('gives plausible anatomy: head above ankles for the upright people, 3D in metres around the hips', () => {
    let upright = 0, headUp = 0;
    for (const f of seq.frames) {
      for (const p of f.persons) {
        const nose = kp(p, 'nose'), la = kp(p, 'left_ankle'), ra = kp(p, 'right_ankle');
        const lh = kp(p, 'left_hip'), rh = kp(p, 'right_hip');
        // hip-centred world landmarks: the hip midpoint is the origin
        expect(Math.hypot((lh.X + rh.X) / 2, (lh.Y + rh.Y) / 2, (lh.Z + rh.Z) / 2)).toBeLessThan(0.1);
        if (p.bbox[3] < 1.8 * p.bbox[2]) continue; // upright = clearly taller than wide
        upright++;
        if (nose.y < Math.min(la.y, ra.y)) headUp++;
        // standing person: nose-to-ankle height in 3D is a human size
        const h3 = Math.max(la.Y, ra.Y) - nose.Y;
        expect(h3).toBeGreaterThan(0.9);
        expect(h3).toBeLessThan(2.2);
      }
    }
    expect(upright).toBeGreaterThan(150);
    expect(headUp / upright).toBeGreaterThanOrEqual(0.98);
  });

  it('places each skeleton in camera space so it projects onto its 2D keypoints (estimate)', () => {
    const K = seq.intrinsics!;
    expect(K).toEqual({ fx: 1768, fy: 1768, cx: 884, cy: 497 });
    const errors: number[] = [];
    for (const f of seq.frames) {
      for (const p of f.persons) {
        if (!p.camera) continue;
        expect(p.camera.tz).toBeGreaterThan(1);
        for (let j = 0; j < seq.joint_names.length; j++) {
          if (p.keypoint_scores![j]! < 0.5) continue;
          const X = p.keypoints_3d[3 * j]! + p.camera.tx, Y = p.keypoints_3d[3 * j + 1]! + p.camera.ty, Z = p.keypoints_3d[3 * j + 2]! + p.camera.tz;
          const u = (K.fx * X) / Z + K.cx, v = (K.fy * Y) / Z + K.cy;
          errors.push(Math.hypot(u - p.keypoints_2d[2 * j]!, v - p.keypoints_2d[2 * j + 1]!) / p.bbox[3]);
        }
      }
    }
    errors.sort((a, b) => a - b);
    // median reprojection error under 10% of the person's height
    expect(errors[Math.floor(errors.length / 2)]!).toBeLessThan(0.1);
    // the two people stand apart in 3D: different lateral positions in a frame with both
    const both = seq.frames[100]!.persons.filter((p) => p.camera);
    expect(both.length).toBe(2);
    expect(Math.abs(both[0]!.camera!.tx - both[1]!.camera!.tx)).toBeGreaterThan(0.5);
  });
});

describe('CPU runner: cancel and bad input', () => {
  it('stops promptly when canceled and leaves no ffmpeg behind', async () => {
    const ac = new AbortController();
    let canceledAt = 0;
    const run = createCpuRunner().run(clip, {
      signal: ac.signal,
      onProgress: (p) => {
        if (p.stage === 'tracking' && p.progress > 0 && !canceledAt) {
          canceledAt = performance.now();
          ac.abort(new Error('canceled by test'));
        }
      },
    });
    await expect(run).rejects.toThrow('canceled by test');
    expect(performance.now() - canceledAt).toBeLessThan(2000);
    await new Promise((r) => setTimeout(r, 200));
    expect(childCommands()).not.toMatch(/ffmpeg/);
  });

  it('fails with a clear RunnerError when frames are missing', async () => {
    const dir = path.join(tmp, 'short');
    await mkdir(dir);
    for (let i = 0; i < 3; i++) await copyFile(path.join(clip.framesDir, `00000${i}.jpg`), path.join(dir, `00000${i}.jpg`));
    const index = { ...clip.frameIndex, frameCount: 5, pts: [0, 1, 2, 3, 4].map((i) => i / 30) };
    const err = await createCpuRunner()
      .run({ ...clip, framesDir: dir, frameIndex: index }, { signal: new AbortController().signal, onProgress: () => {} })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RunnerError);
    expect((err as RunnerError).message).toMatch(/decoded 3 of 5 frames/);
  });

  it('says clearly when the model files are not where CPU_MODELS_DIR points', async () => {
    const empty = path.join(tmp, 'no-models');
    await mkdir(empty);
    process.env.CPU_MODELS_DIR = empty;
    try {
      const runner = createCpuRunner();
      expect(await runner.describe()).toMatchObject({ cpuModelsFound: false });
      const err = await runner.run(clip, { signal: new AbortController().signal, onProgress: () => {} }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RunnerError);
      expect((err as RunnerError).code).toBe('cpu_models_missing');
      expect((err as RunnerError).message).toContain(empty);
    } finally {
      delete process.env.CPU_MODELS_DIR;
    }
    expect(await createCpuRunner().describe()).toMatchObject({ cpuModelsFound: true, cpuModels: ['blazepose-lite', 'movenet-multipose'] });
  });
});
