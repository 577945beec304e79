import { describe, expect, it } from 'vitest';
import { frameJson } from '../../lib/frames/api';
import { poseFrameFromJson } from '../../lib/frames/from-json';
import type { PersonPose } from '../../lib/pose/types';
import type { ChunkResult } from '../../worker/runners/cpu/pool';
import { stitchChunks, StreamingStitcher } from '../../worker/runners/cpu/stitch';
import { syntheticSequence } from '../frames/synthetic-sequence';

// Pure parts of results while tracking runs: no services.

function person(track_id: number, x: number): PersonPose {
  return {
    track_id, state: 'detected', confidence: 1, tracking_confidence: 1, frames_since_seen: 0, smpl: null, camera: null,
    keypoints_3d: new Float32Array(0), keypoints_2d: new Float32Array(0), keypoint_scores: null, bbox: [x, 100, 100, 300],
  };
}

/** Three parallel runs (15 frames overlap) of two people walking right, a third who appears late in run 2; local ids differ per run. */
function runs(): ChunkResult[] {
  const make = (start: number, count: number, ids: [number, number, number]): ChunkResult => ({
    start,
    calls: { landmarks: 0, detector: 0 },
    frames: Array.from({ length: count }, (_, i) => {
      const f = start + i;
      const out = [person(ids[0], 100 + 5 * f), person(ids[1], 900 + 5 * f)];
      if (f >= 150 && f < 170) out.push(person(ids[2], 2000));
      return out;
    }),
  });
  return [make(0, 80, [1, 2, 3]), make(65, 95, [4, 1, 9]), make(145, 75, [2, 5, 3])];
}

const ids = (frames: PersonPose[][]) => frames.map((f) => f.map((p) => p.track_id).join(','));

describe('streaming stitcher', () => {
  it('decides the same ids as stitching the finished runs, in order, whatever order the runs report in', () => {
    const chunks = runs();
    const batch = stitchChunks(chunks, 45);
    const stitcher = new StreamingStitcher(chunks.map((c) => ({ start: c.start, count: c.frames.length })), 45);
    const decided: PersonPose[][] = [];
    const firstDecidedAt: number[] = [];
    // the runs progress in parallel, the last one fastest: frame i of every run arrives at step i
    const longest = Math.max(...chunks.map((c) => c.frames.length));
    for (let step = 0; step < longest; step++) {
      for (const [r, c] of [...chunks.entries()].reverse()) if (step < c.frames.length) stitcher.add(r, c.start + step, c.frames[step]!);
      const { from, frames } = stitcher.drain();
      expect(from).toBe(decided.length);
      frames.forEach(() => firstDecidedAt.push(step));
      decided.push(...frames);
    }
    expect(decided).toHaveLength(220);
    expect(ids(decided)).toEqual(ids(batch));
    expect(ids(decided).slice(0, 5)).toEqual(['1,2', '1,2', '1,2', '1,2', '1,2']);
    // the first run's frames are final as they come; a later run's only after the run before it has ended
    expect(firstDecidedAt[0]).toBe(0);
    expect(firstDecidedAt[79]).toBe(79);
    expect(firstDecidedAt[80]).toBeGreaterThanOrEqual(79);
    expect(firstDecidedAt[160]).toBeGreaterThanOrEqual(94); // run 2 ends at its step 94
  });

  it('hands out nothing of a later run before its overlap frames are in', () => {
    const chunks = runs();
    const stitcher = new StreamingStitcher(chunks.map((c) => ({ start: c.start, count: c.frames.length })), 45);
    chunks[0]!.frames.forEach((p, i) => stitcher.add(0, i, p));
    expect(stitcher.drain().frames).toHaveLength(80);
    for (let i = 0; i < 14; i++) stitcher.add(1, 65 + i, chunks[1]!.frames[i]!);
    expect(stitcher.drain().frames).toHaveLength(0);
    stitcher.add(1, 79, chunks[1]!.frames[14]!);
    stitcher.add(1, 80, chunks[1]!.frames[15]!);
    const next = stitcher.drain();
    expect(next.from).toBe(80);
    expect(ids(next.frames)).toEqual(['1,2']);
  });
});

describe('frames API JSON back into the pose model', () => {
  it('gives the stored frames back exactly (float32 values, SMPL rotations, states)', () => {
    const seq = syntheticSequence({ frames: 40, tracks: 2, seed: 7 });
    for (const f of seq.frames) expect(poseFrameFromJson(JSON.parse(JSON.stringify(frameJson(f, seq.joint_set))))).toEqual(f);
  });
});
