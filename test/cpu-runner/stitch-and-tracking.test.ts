import { describe, expect, it } from 'vitest';
import { boxCost, greedyAssign, iou } from '../../lib/pose/tracking';
import type { PersonPose } from '../../lib/pose/types';
import type { ChunkResult } from '../../worker/runners/cpu/pool';
import { stitchChunks } from '../../worker/runners/cpu/stitch';

// Pure functions on hand-made boxes; no models involved.

function person(track_id: number, x: number, y = 100): PersonPose {
  return {
    track_id, state: 'detected', confidence: 1, tracking_confidence: 1, frames_since_seen: 0, smpl: null, camera: null,
    keypoints_3d: new Float32Array(0), keypoints_2d: new Float32Array(0), keypoint_scores: null, bbox: [x, y, 100, 300],
  };
}

/** A run of frames where two people walk right at 5 px/frame; `ids` are the run's local track ids. */
function run(start: number, count: number, ids: [number, number], swapSides = false): ChunkResult {
  const frames = Array.from({ length: count }, (_, i) => {
    const f = start + i;
    const a = person(ids[0], 100 + 5 * f), b = person(ids[1], 800 + 5 * f);
    return swapSides ? [b, a] : [a, b];
  });
  return { start, frames, calls: { landmarks: 0, detector: 0 } };
}

describe('tracking helpers', () => {
  it('iou and box cost', () => {
    expect(iou([0, 0, 10, 10], [0, 0, 10, 10])).toBe(1);
    expect(iou([0, 0, 10, 10], [20, 0, 10, 10])).toBe(0);
    expect(iou([0, 0, 10, 10], [5, 0, 10, 10])).toBeCloseTo(50 / 150);
    expect(boxCost([0, 0, 10, 10], [0, 0, 10, 10])).toBe(0);
    expect(boxCost([0, 0, 10, 10], [100, 0, 10, 10])).toBeGreaterThan(1);
  });

  it('greedy assignment takes the cheapest pairs first and respects the cost limit', () => {
    const cost = [
      [0.1, 0.5, 2],
      [0.2, 0.9, 2],
      [3, 3, 3],
    ];
    expect(greedyAssign(cost, 1)).toEqual([[0, 0], [1, 1]]);
    expect(greedyAssign(cost, 0.6)).toEqual([[0, 0]]);
  });
});

describe('stitching runs tracked in parallel', () => {
  it('keeps global ids across a boundary even when the runs numbered people differently', () => {
    const a = run(0, 100, [1, 2]);
    const b = run(85, 100, [7, 3]); // 15 frames overlap; local ids differ
    const out = stitchChunks([a, b], 45);
    expect(out).toHaveLength(185);
    // the left person is id 1 everywhere, the right one id 2
    for (const frame of out) {
      expect(frame.map((p) => p.track_id)).toEqual([1, 2]);
      expect(frame[0]!.bbox[0]).toBeLessThan(frame[1]!.bbox[0]);
    }
  });

  it('gives a new id to someone who only appears after the boundary, far from anyone lost', () => {
    const a = run(0, 100, [1, 2]);
    const b = run(85, 100, [5, 6]);
    b.frames[50]!.push({ ...person(9, 1500, 600) });
    const out = stitchChunks([a, b], 45);
    expect(out[135]!.map((p) => p.track_id)).toEqual([1, 2, 3]);
  });

  it('revives an id lost just before the boundary when the person comes back near where they were', () => {
    const a = run(0, 100, [1, 2]);
    for (let f = 90; f < 100; f++) a.frames[f] = a.frames[f]!.filter((p) => p.track_id !== 2); // right person missed
    const b = run(85, 100, [4, 5]);
    for (let f = 0; f < 20; f++) b.frames[f] = b.frames[f]!.filter((p) => p.track_id !== 5); // also missed here
    const out = stitchChunks([a, b], 45);
    expect(out[95]!.map((p) => p.track_id)).toEqual([1]);
    expect(out[110]!.map((p) => p.track_id)).toEqual([1, 2]);
  });
});
