import { describe, expect, it } from 'vitest';
import { athleteMotions, bvhText } from '../../lib/export/bvh';
import { eulerZXY, fitRotation, mul, axisAngle, apply, type Mat3, type Vec3 } from '../../lib/export/math';
import { cameraSpaceKeypoints, forwardKinematics, PHALP45_RIG, BLAZEPOSE33_RIG } from '../../lib/export/rig';
import { fixedRateTimeline } from '../../lib/export/timeline';
import { PHALP45, BLAZEPOSE33 } from '../../lib/pose/joints';
import { phalpSample, twoAthletes } from './fixtures';

/** The skeleton solver and the fixed-rate timeline, without readers (those are in blender.test.ts). */

const rz = (a: number) => axisAngle([0, 0, 1], a);
const rx = (a: number) => axisAngle([1, 0, 0], a);
const ry = (a: number) => axisAngle([0, 1, 0], a);
const close = (a: number[], b: number[], eps = 1e-9) => a.every((v, i) => Math.abs(v - b[i]) < eps);

describe('math', () => {
  it('eulerZXY inverts Rz Rx Ry and continues without 360 degree jumps', () => {
    for (const [z, x, y] of [[10, 20, 30], [-170, 45, 120], [179, -80, -179]] as Vec3[]) {
      const rad = (d: number) => (d * Math.PI) / 180;
      const m = mul(rz(rad(z)), mul(rx(rad(x)), ry(rad(y))));
      expect(close(eulerZXY(m), [z, x, y], 1e-7)).toBe(true);
    }
    const e = eulerZXY(rz(Math.PI * (179.5 / 180)), [-179, 0, 0]);
    expect(e[0]).toBeCloseTo(-180.5, 6);
  });

  it('fitRotation recovers a rotation from rotated vectors (Horn)', () => {
    const R = mul(rz(0.7), mul(rx(-1.1), ry(2.3)));
    const a: Vec3[] = [[1, 0, 0], [0, 2, 0.5], [0.3, -0.2, 1]];
    const fit: Mat3 = fitRotation(a, a.map((v) => apply(R, v)), [1, 1, 1]);
    expect(close(fit, R, 1e-9)).toBe(true);
  });
});

describe('rigs', () => {
  it('cover every keypoint of both joint sets exactly once', () => {
    for (const [rig, set] of [[PHALP45_RIG, PHALP45], [BLAZEPOSE33_RIG, BLAZEPOSE33]] as const) {
      expect(rig.keypoint.filter((k) => k >= 0).sort((a, b) => a - b)).toEqual(set.names.map((_, i) => i));
      rig.parents.forEach((p, j) => expect(p).toBeLessThan(j));
      expect(new Set(rig.names).size).toBe(rig.names.length);
    }
  });

  it('walk_8: forward kinematics of the solved skeleton gives back the keypoints; rotations alone carry the motion to a few cm', async () => {
    const seq = await phalpSample('walk_8.pkl');
    const [m] = athleteMotions({ meta: seq, tracks: [1] }, seq.frames);
    const solved = [...m.anim.frames()];
    expect(solved.length).toBe(seq.frame_count);
    expect(m.anim.count).toBe(seq.frame_count);
    let exact = 0;
    const rotOnly: number[] = [];
    solved.forEach((f, t) => {
      if (!f.present) return;
      const kp = cameraSpaceKeypoints(seq.frames[t].persons[0]);
      const fk = forwardKinematics(m.anim, f);
      const rest = forwardKinematics(m.anim, { ...f, translations: f.translations.map((tr, j) => (j === 0 ? tr : m.anim.restOffsets[j])) });
      m.anim.rig.keypoint.forEach((k, j) => {
        exact = Math.max(exact, Math.hypot(fk[j][0] - kp[k * 3], fk[j][1] - kp[k * 3 + 1], fk[j][2] - kp[k * 3 + 2]));
        // the model origin is not a point of the body (it does not turn with the pelvis): left out here
        if (m.anim.rig.names[j] !== 'Origin') rotOnly.push(Math.hypot(rest[j][0] - kp[k * 3], rest[j][1] - kp[k * 3 + 1], rest[j][2] - kp[k * 3 + 2]));
      });
    });
    rotOnly.sort((a, b) => a - b);
    const median = rotOnly[rotOnly.length >> 1];
    console.log(`walk_8 rig: FK error ${(exact * 1000).toFixed(4)} mm; rest lengths + rotations only: median ${(median * 100).toFixed(2)} cm, max ${(rotOnly[rotOnly.length - 1] * 100).toFixed(2)} cm`);
    expect(exact).toBeLessThan(1e-6);
    expect(median).toBeLessThan(0.01);
    expect(rotOnly[rotOnly.length - 1]).toBeLessThan(0.06);
  });

  it('frames where an athlete is absent hold the nearest pose and are marked absent', () => {
    const seq = twoAthletes(60);
    const [, two] = athleteMotions({ meta: seq, tracks: [1, 2] }, seq.frames);
    const firstSeen = seq.frames.findIndex((f) => f.persons.some((p) => p.track_id === 2));
    expect(firstSeen).toBeGreaterThan(3);
    const frames = [...two.anim.frames()];
    expect(frames.slice(0, firstSeen).every((f) => !f.present)).toBe(true);
    expect(frames[0].translations).toEqual(frames[firstSeen].translations);
    expect(frames[firstSeen].present).toBe(true);
    // the athlete's held frames (stale copies) are present; a later gap repeats the frame before it
    expect(frames.length).toBe(60);
  });
});

describe('fixed-rate timeline (BVH on VFR clips)', () => {
  it('evenly spaced frames pass through one to one', () => {
    const t = fixedRateTimeline(Array.from({ length: 10 }, (_, i) => 1 + i / 30 + (i % 2 ? 0.003 : 0)), 30);
    expect(t).toEqual({ picks: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], frameTime: 1 / 30, resampled: false });
  });

  it('VFR: an even grid at the clip rate, each grid time takes the nearest frame', () => {
    // 30 fps with a stretch at 15 fps (frames 3..5 are 1/15 s apart) and a dropped frame
    const ts = [0, 1 / 30, 2 / 30, 4 / 30, 6 / 30, 8 / 30, 9 / 30, 11 / 30];
    const t = fixedRateTimeline(ts, 30);
    expect(t.resampled).toBe(true);
    expect(t.picks.length).toBe(12);
    // each grid time takes a frame no farther than any other frame
    t.picks.forEach((i, k) => expect(Math.abs(ts[i] - k / 30)).toBeLessThanOrEqual(Math.min(...ts.map((x) => Math.abs(x - k / 30))) + 1e-12));
  });

  it('a VFR BVH says so in its frame count', () => {
    const seq = twoAthletes(30);
    seq.frames.forEach((f, i) => (f.timestamp = i < 15 ? i / 30 : 14 / 30 + (i - 14) / 15)); // second half at 15 fps
    const [m] = athleteMotions({ meta: seq, tracks: [1] }, seq.frames);
    const head = bvhText(m).next().value as string;
    expect(head).toContain(`Frames: ${Math.round((14 / 30 + 15 / 15) * 30) + 1}\nFrame Time: 0.03333333\n`);
  });
});
