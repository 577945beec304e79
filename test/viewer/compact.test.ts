import { describe, expect, it } from 'vitest';
import { CompactPoseError, decodePoseSequence, encodePoseSequence, matrixToQuaternion, quaternionToMatrix } from '../../lib/pose/compact';
import type { PoseSequence } from '../../lib/pose/types';
import { randomRotation, rng, syntheticSequence } from './synthetic';

function personFrames(seq: PoseSequence) {
  return seq.frames.reduce((n, f) => n + f.persons.length, 0);
}

function expectSameSequence(a: PoseSequence, b: PoseSequence) {
  const { frames: fa, ...ha } = a;
  const { frames: fb, ...hb } = b;
  expect(hb).toEqual(ha);
  expect(fb.length).toBe(fa.length);
  fa.forEach((frame, f) => {
    expect(fb[f].frame_number).toBe(frame.frame_number);
    expect(fb[f].timestamp).toBe(frame.timestamp); // float64: exact
    expect(fb[f].persons.length).toBe(frame.persons.length);
    frame.persons.forEach((p, i) => {
      const q = fb[f].persons[i];
      expect(q.track_id).toBe(p.track_id);
      expect(q.state).toBe(p.state);
      expect(q.frames_since_seen).toBe(p.frames_since_seen);
      expect(q.confidence === null).toBe(p.confidence === null);
      if (p.confidence !== null) expect(q.confidence).toBe(Math.fround(p.confidence));
      expect(q.tracking_confidence).toBe(Math.fround(p.tracking_confidence));
      expect(q.bbox).toEqual(p.bbox.map(Math.fround));
      expect(Array.from(q.keypoints_3d)).toEqual(Array.from(p.keypoints_3d));
      expect(Array.from(q.keypoints_2d)).toEqual(Array.from(p.keypoints_2d));
      expect(q.keypoint_scores === null).toBe(p.keypoint_scores === null);
      if (p.keypoint_scores) expect(Array.from(q.keypoint_scores!)).toEqual(Array.from(p.keypoint_scores));
      if (p.camera) {
        expect(q.camera!.tx).toBe(Math.fround(p.camera.tx));
        expect(q.camera!.tz).toBe(Math.fround(p.camera.tz));
      } else expect(q.camera).toBeNull();
      expect(q.smpl === null).toBe(p.smpl === null);
      if (p.smpl) {
        expect(Array.from(q.smpl!.betas)).toEqual(Array.from(p.smpl.betas));
        const all = [...p.smpl.global_orient, ...p.smpl.body_pose];
        const got = [...q.smpl!.global_orient, ...q.smpl!.body_pose];
        expect(got.length).toBe(216);
        let maxErr = 0;
        all.forEach((v, k) => (maxErr = Math.max(maxErr, Math.abs(v - got[k]))));
        expect(maxErr).toBeLessThan(2e-6);
      }
    });
  });
}

describe('compact pose payload', () => {
  it('round-trips a PHALP-shaped sequence (two tracks, every state, VFR timestamps)', () => {
    const seq = syntheticSequence({ runner: 'phalp', frames: 60, tracks: 2, seed: 7 });
    const bytes = encodePoseSequence(seq);
    expectSameSequence(seq, decodePoseSequence(bytes));
    // Target from issue 6: <= 1.5 KB per person-frame.
    expect(bytes.byteLength / personFrames(seq)).toBeLessThanOrEqual(1536);
  });

  it('round-trips a CPU-shaped sequence (no SMPL, no camera, per-keypoint scores)', () => {
    const seq = syntheticSequence({ runner: 'cpu', frames: 40, tracks: 3, seed: 3 });
    expectSameSequence(seq, decodePoseSequence(encodePoseSequence(seq)));
  });

  it('decodes from an unaligned view of the bytes', () => {
    const seq = syntheticSequence({ runner: 'phalp', frames: 5, tracks: 1 });
    const bytes = encodePoseSequence(seq);
    const shifted = new Uint8Array(bytes.byteLength + 3);
    shifted.set(bytes, 3);
    expectSameSequence(seq, decodePoseSequence(shifted.subarray(3)));
  });

  it('handles a clip with nobody in it', () => {
    const seq = syntheticSequence({ runner: 'phalp', frames: 3, tracks: 0 });
    expectSameSequence(seq, decodePoseSequence(encodePoseSequence(seq)));
  });

  it('rejects bad input with a clear error', () => {
    expect(() => decodePoseSequence(new Uint8Array([1, 2, 3]))).toThrow(CompactPoseError);
    expect(() => decodePoseSequence(new TextEncoder().encode('{"frames":[]}'))).toThrow(/bad magic/);
    const bytes = encodePoseSequence(syntheticSequence({ runner: 'cpu', frames: 4, tracks: 1 }));
    expect(() => decodePoseSequence(bytes.subarray(0, bytes.length - 5))).toThrow(/header says/);
    const seq = syntheticSequence({ runner: 'cpu', frames: 2, tracks: 1 });
    seq.frames[0].persons[0].keypoints_3d = new Float32Array(6);
    expect(() => encodePoseSequence(seq)).toThrow(/keypoints do not match/);
  });

  it('matrix <-> quaternion is exact for rotations near every branch (identity, 180 degrees about each axis)', () => {
    const r = rng(11);
    const mats = [
      [1, 0, 0, 0, 1, 0, 0, 0, 1],
      [1, 0, 0, 0, -1, 0, 0, 0, -1],
      [-1, 0, 0, 0, 1, 0, 0, 0, -1],
      [-1, 0, 0, 0, -1, 0, 0, 0, 1],
    ].map((m) => Float32Array.from(m));
    for (let i = 0; i < 200; i++) {
      const m = new Float32Array(9);
      randomRotation(r, m, 0);
      mats.push(m);
    }
    const q = new Float32Array(4);
    const back = new Float32Array(9);
    for (const m of mats) {
      matrixToQuaternion(m, 0, q, 0);
      quaternionToMatrix(q, 0, back, 0);
      for (let k = 0; k < 9; k++) expect(Math.abs(back[k] - m[k])).toBeLessThan(2e-6);
    }
  });
});
