import { describe, expect, it } from 'vitest';
import { bodyJointCount, fillBones, personTranslation, presetCamera, sceneFrame, toThree, type SceneFrame } from '../../lib/viewer/scene';
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

  it('keeps a briefly seen track inside the framing box (per-track percentiles, not per person-frame)', () => {
    const seq = syntheticSequence({ runner: 'phalp', frames: 200, tracks: 2 });
    // track 2 is detected in only 10 frames, 15 m behind track 1 and 4 m to its right
    seq.frames.forEach((f, i) => {
      f.persons = f.persons.filter((p) => p.track_id === 1 || i < 10);
      for (const p of f.persons) {
        p.state = 'detected';
        p.camera = p.track_id === 1 ? { tx: 0, ty: 0, tz: 40 } : { tx: 4, ty: 0, tz: 55 };
      }
    });
    const frame = sceneFrame(seq, 44);
    const near = frame.center[2] + frame.size[2] / 2;
    const far = frame.center[2] - frame.size[2] / 2;
    expect(near).toBeGreaterThan(-40.6);
    expect(far).toBeLessThan(-54.4);
    expect(frame.center[0] + frame.size[0] / 2).toBeGreaterThan(4.4);
    expect(frame.center[0] - frame.size[0] / 2).toBeLessThan(-0.4);
  });

  it('places preset cameras so the whole scene box is in view, and not much farther', () => {
    const frame: SceneFrame = { center: [1, 0, -20], floorY: -0.9, size: [6, 2, 4], extent: 6 };
    const fov = 40;
    for (const aspect of [0.8, 1.6, 2.4]) {
      for (const preset of ['front', 'side', 'top'] as const) {
        const { position, target } = presetCamera(frame, preset, aspect, fov);
        // camera basis looking at the target (y up; for 'top' the screen's up is -z)
        const fwd = norm(sub(target, position));
        const right = norm(cross(fwd, preset === 'top' ? [0, 0, -1] : [0, 1, 0]));
        const up = cross(right, fwd);
        let widest = 0;
        for (const sx of [-1, 1]) for (const sy of [-1, 1]) for (const sz of [-1, 1]) {
          const corner = [0, 1, 2].map((i) => frame.center[i] + [sx, sy, sz][i] * frame.size[i] / 2);
          const v = sub(corner, position);
          const depth = dot(v, fwd);
          expect(depth).toBeGreaterThan(0);
          const tanV = Math.tan((fov * Math.PI) / 360);
          const x = Math.abs(dot(v, right)) / depth / (tanV * aspect);
          const y = Math.abs(dot(v, up)) / depth / tanV;
          expect(Math.max(x, y), `${preset} aspect ${aspect}`).toBeLessThanOrEqual(1);
          widest = Math.max(widest, x, y);
        }
        // the box fills most of the view along its tighter direction: athletes are not tiny
        expect(widest, `${preset} aspect ${aspect}`).toBeGreaterThan(0.6);
      }
    }
  });
});

type V3 = number[];
const sub = (a: V3, b: V3) => a.map((v, i) => v - b[i]);
const dot = (a: V3, b: V3) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
const cross = (a: V3, b: V3) => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
const norm = (a: V3) => a.map((v) => v / Math.hypot(...a));
