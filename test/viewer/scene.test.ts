import { describe, expect, it } from 'vitest';
import { bodyJointCount, fillBones, personTranslation, sceneFrame, toThree } from '../../lib/viewer/scene';
import { syntheticSequence } from './synthetic';

describe('scene geometry', () => {
  it('adds the camera translation and flips OpenCV y/z for three.js', () => {
    const out = new Float32Array(6);
    toThree([1, 2, 3, -1, -2, -3], { tx: 0.5, ty: 1, tz: 50 }, out);
    expect(Array.from(out)).toEqual([1.5, -3, -53, -0.5, 1, -47]);
    const bones = new Float32Array(6);
    fillBones(out, [[1, 0]], bones);
    expect(Array.from(bones)).toEqual([-0.5, 1, -47, 1.5, -3, -53]);
  });

  it('places camera-less (CPU) people from their video box, PHALP people from their camera', () => {
    const seq = syntheticSequence({ runner: 'cpu', frames: 1, tracks: 1 });
    const p = { ...seq.frames[0].persons[0], bbox: [600, 100, 100, 340] as [number, number, number, number] };
    const t = personTranslation(p, { width: 852, height: 480 }, { tx: 0, ty: 0, tz: 0 });
    expect(t.tx).toBeCloseTo((650 - 426) * (1.7 / 340), 6);
    const phalp = syntheticSequence({ runner: 'phalp', frames: 1, tracks: 1 }).frames[0].persons[0];
    expect(personTranslation(phalp, seq, { tx: 0, ty: 0, tz: 0 })).toEqual(phalp.camera);
  });

  it('frames the clip from detected people and skips PHALP origin row', () => {
    const seq = syntheticSequence({ runner: 'phalp', frames: 20, tracks: 2 });
    const frame = sceneFrame(seq, 44);
    expect(frame.center[2]).toBeLessThan(-39); // people are ~40-50 m in front of the camera
    expect(frame.floorY).toBeLessThan(frame.center[1]);
    expect(bodyJointCount('phalp45', [...Array(44).fill('x'), 'Origin'])).toBe(44);
    expect(bodyJointCount('blazepose', Array(33).fill('x'))).toBe(33);
  });
});
