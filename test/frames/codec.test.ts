import { describe, expect, it } from 'vitest';
import { BSON, ObjectId } from 'mongodb';
import { decodeFrame, encodeFrame, encodePerson, FrameCodecError, type FrameDoc } from '../../lib/frames/codec';
import type { PersonPose, PoseFrame } from '../../lib/pose/types';
import { syntheticSequence } from './synthetic-sequence';

/** Through real BSON bytes, as the driver sends and receives them. */
function viaBson(doc: FrameDoc): FrameDoc {
  return BSON.deserialize(BSON.serialize(doc)) as FrameDoc;
}

const bytesOf = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

function expectSameFrame(actual: PoseFrame, expected: PoseFrame) {
  expect(actual.frame_number).toBe(expected.frame_number);
  expect(actual.timestamp).toBe(expected.timestamp);
  expect(actual.persons).toHaveLength(expected.persons.length);
  actual.persons.forEach((p, i) => {
    const e = expected.persons[i];
    expect(p).toEqual(e);
    // toEqual treats NaN/-0 loosely; the float32 bit patterns must be identical
    expect(bytesOf(p.keypoints_3d).equals(bytesOf(e.keypoints_3d))).toBe(true);
    expect(bytesOf(p.keypoints_2d).equals(bytesOf(e.keypoints_2d))).toBe(true);
    if (e.smpl) {
      expect(bytesOf(p.smpl!.body_pose).equals(bytesOf(e.smpl.body_pose))).toBe(true);
      expect(bytesOf(p.smpl!.global_orient).equals(bytesOf(e.smpl.global_orient))).toBe(true);
      expect(bytesOf(p.smpl!.betas).equals(bytesOf(e.smpl.betas))).toBe(true);
    }
  });
}

const clipId = new ObjectId();
const seq = syntheticSequence({ frames: 120, tracks: 2, seed: 7 });

function basePerson(overrides: Partial<PersonPose> = {}): PersonPose {
  return { ...seq.frames[50].persons[0], ...overrides };
}

describe('frame codec', () => {
  it('round-trips every frame of a 2-person sequence exactly, through BSON bytes', () => {
    for (const frame of seq.frames) expectSameFrame(decodeFrame(viaBson(encodeFrame(clipId, frame))), frame);
  });

  it('the plain-array encoding (kept for measurement) round-trips exactly too', () => {
    const frame = seq.frames[60];
    expectSameFrame(decodeFrame(viaBson(encodeFrame(clipId, frame, { encoding: 'array' }))), frame);
  });

  it('keeps frames with nobody as persons: []', () => {
    expect(seq.frames[0].persons).toEqual([]);
    const back = decodeFrame(viaBson(encodeFrame(clipId, seq.frames[0])));
    expect(back).toEqual({ frame_number: 0, timestamp: 0, persons: [] });
  });

  it('keeps float32 bit patterns: NaN, -0, infinities, denormals', () => {
    const k3 = Float32Array.from(basePerson().keypoints_3d);
    k3.set([NaN, -0, Infinity, -Infinity, 1e-45, 3.4028234663852886e38]);
    const frame: PoseFrame = { frame_number: 3, timestamp: 0.1, persons: [basePerson({ keypoints_3d: k3 })] };
    const back = decodeFrame(viaBson(encodeFrame(clipId, frame)));
    expect(bytesOf(back.persons[0].keypoints_3d).equals(bytesOf(k3))).toBe(true);
  });

  it('bbox/camera that are not float32 values (e.g. a CPU runner) are kept as exact doubles', () => {
    const p = basePerson({ bbox: [0.1, 1 / 3, 100.25, Math.PI], camera: { tx: 0.1, ty: -0.2, tz: 12.3456789 } });
    const stored = encodePerson(p);
    expect(Array.isArray(stored.bb)).toBe(true);
    const back = decodeFrame(viaBson(encodeFrame(clipId, { frame_number: 1, timestamp: 0, persons: [p] })));
    expect(back.persons[0].bbox).toEqual([0.1, 1 / 3, 100.25, Math.PI]);
    expect(back.persons[0].camera).toEqual({ tx: 0.1, ty: -0.2, tz: 12.3456789 });
  });

  it('runners without a body model: smpl and camera null, per-keypoint scores kept', () => {
    const J = 33;
    const p: PersonPose = {
      track_id: 4,
      state: 'interpolated',
      confidence: null,
      tracking_confidence: 0.42,
      frames_since_seen: 2,
      smpl: null,
      camera: null,
      keypoints_3d: Float32Array.from({ length: J * 3 }, (_, i) => i / 7),
      keypoints_2d: Float32Array.from({ length: J * 2 }, (_, i) => i * 3.3),
      keypoint_scores: Float32Array.from({ length: J }, (_, i) => i / J),
      bbox: [10, 20, 30, 40],
    };
    const back = decodeFrame(viaBson(encodeFrame(clipId, { frame_number: 9, timestamp: 0.3, persons: [p] })));
    expect(back.persons[0]).toEqual(p);
  });

  it('rejects bad input with a message naming the frame, the track and the field', () => {
    const bad = basePerson({ keypoints_2d: new Float32Array(10) });
    expect(() => encodeFrame(clipId, { frame_number: 12, timestamp: 0, persons: [bad] })).toThrow(FrameCodecError);
    expect(() => encodeFrame(clipId, { frame_number: 12, timestamp: 0, persons: [bad] })).toThrow(/frame 12, track 1: keypoints_2d must be a Float32Array of 90 values/);
    const badPose = basePerson({ smpl: { ...basePerson().smpl!, body_pose: new Float32Array(69) } });
    expect(() => encodePerson(badPose)).toThrow(/body_pose must be 207 float32/);
    expect(() => encodePerson(basePerson({ state: 'guessed' as never }))).toThrow(/unknown state 'guessed'/);
    expect(() => encodePerson(basePerson({ bbox: [1, 2, NaN, 4] }))).toThrow(/bbox must be 4 finite numbers/);
  });

  it('a PHALP person-frame is at most 2 KB of BSON with the binary encoding (and far more as number arrays)', () => {
    const p = basePerson();
    const binary = BSON.calculateObjectSize(encodePerson(p, 'binary'));
    const arrays = BSON.calculateObjectSize(encodePerson(p, 'array'));
    expect(binary).toBeLessThanOrEqual(2048);
    expect(arrays).toBeGreaterThan(2 * binary);
    // and a whole 2-person frame document, per person
    const frame = seq.frames.find((f) => f.persons.length === 2)!;
    expect(BSON.calculateObjectSize(encodeFrame(clipId, frame)) / 2).toBeLessThanOrEqual(2048);
  });
});
