import { describe, expect, it } from 'vitest';
import { PHALP45 } from '../../lib/pose/joints';
import { projectThreePoint, TrackBodies, type BodyForward } from '../../lib/viewer/bodies';
import { projectPoints } from '../../lib/viewer/projection';
import { buildTrackTable } from '../../lib/viewer/tracks';
import { syntheticSequence } from '../frames/synthetic-sequence';

// TEST DOUBLE of a body model: 3 "vertices" at fixed model-space points; records exact/fast calls.
function fakeForward(calls: boolean[]): BodyForward {
  return {
    vertexCount: 3,
    faces: Uint32Array.from([0, 1, 2]),
    compute: (_smpl, out, exact) => {
      calls.push(exact);
      out.set([0, 0, 0, 0.1, -0.5, 0, -0.1, 0.5, 0.05]);
    },
  };
}

describe('TrackBodies', () => {
  const seq = syntheticSequence({ frames: 40, tracks: 2, width: 852, height: 480 });
  const table = buildTrackTable(seq);

  it('projects its three.js joints back onto the stored 2D joints (PHALP camera)', () => {
    const bodies = new TrackBodies(seq, table, PHALP45.bones, null);
    const f = 20;
    bodies.setFrame(f);
    const uv = new Float64Array(90);
    for (const body of bodies.tracks.values()) {
      const p = body.person!;
      expect(p).not.toBeNull();
      projectPoints(p.keypoints_3d, p.camera!, seq.intrinsics!, uv);
      for (let j = 0; j < 44; j++) {
        const [u, v] = projectThreePoint(body.joints[3 * j], body.joints[3 * j + 1], body.joints[3 * j + 2], seq.intrinsics!);
        expect(Math.abs(u - p.keypoints_2d[2 * j])).toBeLessThan(0.05);
        expect(Math.abs(v - p.keypoints_2d[2 * j + 1])).toBeLessThan(0.05);
        expect(Math.abs(u - uv[2 * j])).toBeLessThan(1e-3);
      }
      // bone segments are copies of the joint positions
      const [a, b] = PHALP45.bones[0];
      expect(Array.from(body.bones.subarray(0, 6))).toEqual([...body.joints.subarray(3 * a, 3 * a + 3), ...body.joints.subarray(3 * b, 3 * b + 3)]);
    }
  });

  it('skins only wanted tracks, in place, with the requested precision, and marks absent tracks', () => {
    const calls: boolean[] = [];
    const bodies = new TrackBodies(seq, table, PHALP45.bones, fakeForward(calls));
    expect(bodies.meshAvailable).toBe(true);
    const buffers = [...bodies.tracks.values()].map((b) => b.vertices);
    bodies.setFrame(25, (id) => id === 1, false);
    expect(calls).toEqual([false]);
    const t1 = bodies.tracks.get(1)!;
    expect(t1.hasMesh).toBe(true);
    expect(bodies.tracks.get(2)!.hasMesh).toBe(false);
    // vertex 1 = (0.1, -0.5, 0) + camera, flipped to three.js axes
    const cam = t1.person!.camera!;
    expect(t1.vertices![3]).toBeCloseTo(0.1 + cam.tx, 5);
    expect(t1.vertices![4]).toBeCloseTo(-(-0.5 + cam.ty), 5);
    expect(t1.vertices![5]).toBeCloseTo(-cam.tz, 4);
    bodies.setFrame(0); // empty frame in the generator
    expect([...bodies.tracks.values()].every((b) => b.person === null && !b.hasMesh)).toBe(true);
    expect([...bodies.tracks.values()].map((b) => b.vertices)).toEqual(buffers); // same buffers, no reallocation
  });

  it('switches to a sequence of the same layout (raw/smoothed) without new buffers, and refuses another layout', () => {
    const bodies = new TrackBodies(seq, table, PHALP45.bones, null);
    bodies.setFrame(20);
    const t1 = bodies.tracks.get(1)!;
    const before = Array.from(t1.joints);
    const buffer = t1.joints;
    // the same frames with every 3D joint moved 0.1 m along x (as a smoother would move them a little)
    const moved = { ...seq, frames: seq.frames.map((f) => ({ ...f, persons: f.persons.map((p) => {
      const k = Float32Array.from(p.keypoints_3d);
      for (let j = 0; j < k.length; j += 3) k[j] += 0.1;
      return { ...p, keypoints_3d: k };
    }) })) };
    bodies.useSequence(moved);
    bodies.setFrame(20);
    expect(t1.joints).toBe(buffer);
    expect(t1.joints[0] - before[0]).toBeCloseTo(0.1, 5);
    expect(t1.person).toBe(moved.frames[20].persons.find((p) => p.track_id === 1));
    expect(() => bodies.useSequence({ ...seq, frames: seq.frames.slice(1) })).toThrow(/layout/);
  });
});
