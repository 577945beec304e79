import { describe, expect, it } from 'vitest';
import { encodePoseSequence } from '../../lib/pose/compact';
import { fillGaps } from '../../lib/pose/interpolate';
import { PHALP45 } from '../../lib/pose/joints';
import { skeletonJoints, trackDeviation, trackJitter } from '../../lib/pose/jitter';
import { halfWindowFrames, localPolynomialCoefficients, smoothSequence } from '../../lib/pose/smooth';
import type { PersonPose, PoseSequence } from '../../lib/pose/types';
import { walkingClip } from './motion';

const J = PHALP45.names.length;

/** A one-track PHALP-shaped sequence whose every joint follows x(f) (2D px and 3D m alike), box 100 px tall. */
function trackOf(xs: (number | null)[], state: (f: number) => PersonPose['state'] = () => 'detected'): PoseSequence {
  return {
    runner: 'phalp', joint_set: 'phalp45', joint_names: [...PHALP45.names], width: 1000, height: 1000, fps: 30, frame_count: xs.length, intrinsics: null,
    frames: xs.map((x, f) => ({
      frame_number: f, timestamp: f / 30,
      persons: x === null ? [] : [{
        track_id: 1, state: state(f), confidence: 0.9, tracking_confidence: 0.9, frames_since_seen: state(f) === 'detected' ? 0 : 1,
        smpl: null, camera: { tx: x, ty: 0, tz: 50 },
        keypoints_3d: Float32Array.from({ length: 3 * J }, (_, i) => (i % 3 === 0 ? x : (i % 3) * 0.1 + Math.floor(i / 3) * 0.01)),
        keypoints_2d: Float32Array.from({ length: 2 * J }, (_, i) => (i % 2 === 0 ? x : 500 + i)),
        keypoint_scores: null, bbox: [x, 400, 50, 100],
      }],
    })),
  };
}
const xAt = (seq: PoseSequence, f: number) => seq.frames[f].persons[0].keypoints_2d[0];

/** Mean angle (degrees) between corresponding rotation matrices of two persons' SMPL parameters. */
function rotationError(a: PersonPose, b: PersonPose): number {
  let sum = 0;
  const all = (p: PersonPose) => [p.smpl!.global_orient, ...Array.from({ length: 23 }, (_, r) => p.smpl!.body_pose.subarray(9 * r, 9 * r + 9))];
  const A = all(a), B = all(b);
  for (let r = 0; r < 24; r++) {
    let tr = 0; // trace(A^T B)
    for (let i = 0; i < 9; i++) tr += A[r][i] * B[r][i];
    sum += (Math.acos(Math.max(-1, Math.min(1, (tr - 1) / 2))) * 180) / Math.PI;
  }
  return sum / 24;
}

function meanError(a: PoseSequence, b: PoseSequence, what: 'keypoints_3d' | 'keypoints_2d', perBox: boolean): number {
  let s = 0, n = 0;
  const joints = skeletonJoints(a.joint_set);
  const D = what === 'keypoints_3d' ? 3 : 2;
  a.frames.forEach((f, i) => f.persons.forEach((p) => {
    if (p.state !== 'detected') return;
    const q = b.frames[i].persons.find((o) => o.track_id === p.track_id)!;
    for (const j of joints) {
      let d = 0;
      for (let k = 0; k < D; k++) d += (p[what][D * j + k] - q[what][D * j + k]) ** 2;
      s += Math.sqrt(d) / (perBox ? p.bbox[3] : 1);
      n++;
    }
  }));
  return s / n;
}

describe('local polynomial coefficients', () => {
  it('reproduce quadratics exactly (so they follow a movement without bias) and sum to 1', () => {
    const x = [-0.6, -0.4, -0.2, 0, 0.2, 0.4, 0.6];
    const w = x.map((u) => (1 - Math.abs(u) ** 3) ** 3);
    const c = localPolynomialCoefficients(x, w, 2)!;
    const f = (u: number) => 3 - 2 * u + 5 * u * u;
    expect(c.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(x.reduce((acc, u, m) => acc + c[m] * f(u), 0)).toBeCloseTo(f(0), 12);
    // symmetric window -> symmetric coefficients (zero phase)
    for (let m = 0; m < 3; m++) expect(c[m]).toBeCloseTo(c[6 - m], 12);
    // one-sided (an edge): still exact for a quadratic
    const c1 = localPolynomialCoefficients(x.slice(3), w.slice(3), 2)!;
    expect(x.slice(3).reduce((acc, u, m) => acc + c1[m] * f(u), 0)).toBeCloseTo(f(0), 10);
    expect(localPolynomialCoefficients([0.1], [0], 2)).toBeNull();
  });
});

describe('smoothSequence', () => {
  const { raw, truth } = walkingClip({ frames: 400, people: 2, seed: 5 });
  const rawBytes = encodePoseSequence(raw);
  const smoothed = smoothSequence(raw);

  it('leaves the raw input untouched and shares no arrays with it', () => {
    expect(Buffer.from(encodePoseSequence(raw)).equals(Buffer.from(rawBytes))).toBe(true);
    raw.frames.forEach((f, i) => f.persons.forEach((p, k) => {
      const q = smoothed.frames[i].persons[k];
      expect(q).not.toBe(p);
      expect(q.keypoints_3d).not.toBe(p.keypoints_3d);
      expect(q.keypoints_2d).not.toBe(p.keypoints_2d);
      expect(q.smpl!.body_pose).not.toBe(p.smpl!.body_pose);
    }));
  });

  it('keeps the shape: same frames, persons, states and scores; nothing invented', () => {
    expect(smoothed.frames.length).toBe(raw.frames.length);
    raw.frames.forEach((f, i) => {
      const s = smoothed.frames[i];
      expect([s.frame_number, s.timestamp]).toEqual([f.frame_number, f.timestamp]);
      expect(s.persons.map((p) => [p.track_id, p.state, p.confidence, p.tracking_confidence, p.frames_since_seen])).toEqual(
        f.persons.map((p) => [p.track_id, p.state, p.confidence, p.tracking_confidence, p.frames_since_seen]),
      );
    });
    expect(raw.frames.some((f) => f.persons.some((p) => p.state === 'held'))).toBe(true);
  });

  it('reduces jitter well below the raw figure and moves closer to the truth, in 2D, 3D, camera and rotations', () => {
    const rawJ = trackJitter(raw), smoothJ = trackJitter(smoothed), truthJ = trackJitter(truth);
    for (let t = 0; t < 2; t++) {
      expect(rawJ[t].jitter_pct!).toBeGreaterThan(0.8);
      expect(smoothJ[t].jitter_pct!).toBeLessThan(0.35);
      expect(smoothJ[t].jitter_pct!).toBeLessThan(rawJ[t].jitter_pct! / 3);
      expect(smoothJ[t].jitter_3d_mm!).toBeLessThan(rawJ[t].jitter_3d_mm! / 3);
      expect(truthJ[t].jitter_pct!).toBeLessThan(smoothJ[t].jitter_pct!); // smoothing does not flatten the motion below the truth... but nearly
    }
    const e2raw = meanError(raw, truth, 'keypoints_2d', true), e2 = meanError(smoothed, truth, 'keypoints_2d', true);
    const e3raw = meanError(raw, truth, 'keypoints_3d', false), e3 = meanError(smoothed, truth, 'keypoints_3d', false);
    expect(e2).toBeLessThan(0.6 * e2raw);
    expect(e3).toBeLessThan(0.6 * e3raw);
    // shift from the raw detections stays small (target: within 1.5 % of box height on average)
    for (const d of trackDeviation(raw, smoothed)) expect(d.deviation_pct!).toBeLessThan(1.5);
    let rotRaw = 0, rotSm = 0, tzRaw = 0, tzSm = 0, n = 0;
    raw.frames.forEach((f, i) => f.persons.forEach((p, k) => {
      if (p.state !== 'detected') return;
      const tr = truth.frames[i].persons[k], s = smoothed.frames[i].persons[k];
      rotRaw += rotationError(p, tr);
      rotSm += rotationError(s, tr);
      tzRaw += Math.abs(p.camera!.tz - tr.camera!.tz);
      tzSm += Math.abs(s.camera!.tz - tr.camera!.tz);
      n++;
    }));
    expect(rotSm / n).toBeLessThan(0.6 * (rotRaw / n));
    expect(tzSm).toBeLessThan(0.6 * tzRaw);
  });

  it('rotations stay proper rotations (orthonormal, det +1)', () => {
    for (const f of smoothed.frames) for (const p of f.persons) {
      const mats = [p.smpl!.global_orient, ...Array.from({ length: 23 }, (_, r) => p.smpl!.body_pose.subarray(9 * r, 9 * r + 9))];
      for (const m of mats) {
        for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) {
          const dotRows = m[3 * i] * m[3 * j] + m[3 * i + 1] * m[3 * j + 1] + m[3 * i + 2] * m[3 * j + 2];
          expect(Math.abs(dotRows - (i === j ? 1 : 0))).toBeLessThan(1e-5);
        }
        const det = m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6]) + m[2] * (m[3] * m[7] - m[4] * m[6]);
        expect(det).toBeCloseTo(1, 5);
      }
    }
  });

  it('held frames show the smoothed detection they copy', () => {
    let checked = 0;
    smoothed.frames.forEach((f) => f.persons.forEach((p) => {
      if (p.state !== 'held') return;
      const src = smoothed.frames[f.frame_number - p.frames_since_seen].persons.find((q) => q.track_id === p.track_id)!;
      expect(src.state).toBe('detected');
      expect(Array.from(p.keypoints_2d)).toEqual(Array.from(src.keypoints_2d));
      expect(Array.from(p.smpl!.body_pose)).toEqual(Array.from(src.smpl!.body_pose));
      checked++;
    }));
    expect(checked).toBeGreaterThan(0);
  });

  it('has zero lag: a step stays where it is, symmetric around it (a causal filter would shift it later)', () => {
    // 30 px in one frame on a 100 px tall box: fast, but not a teleport
    const step = trackOf(Array.from({ length: 100 }, (_, f) => (f < 50 ? 0 : 30)));
    const s = smoothSequence(step);
    const H = halfWindowFrames(30);
    for (let k = 0; k <= H + 2; k++) expect(xAt(s, 49 - k) + xAt(s, 50 + k)).toBeCloseTo(30, 3);
    expect(xAt(s, 49)).toBeLessThan(15);
    expect(xAt(s, 50)).toBeGreaterThan(15);
    expect(xAt(s, 49)).toBeGreaterThan(1); // it did smooth
    expect(xAt(s, 49 - H - 1)).toBeCloseTo(0, 4); // beyond the window: untouched by the step
    expect(xAt(s, 50 + H + 1)).toBeCloseTo(30, 4);
    // a peak stays on its frame
    const bump = trackOf(Array.from({ length: 120 }, (_, f) => 100 * Math.exp(-(((f - 60) / 8) ** 2))));
    const b = smoothSequence(bump);
    const peak = b.frames.reduce((best, f) => (xAt(b, f.frame_number) > xAt(b, best) ? f.frame_number : best), 0);
    expect(peak).toBe(60);
  });

  it('never fits across a gap longer than maxGap frames; does bridge short ones', () => {
    const xs = (gap: number) => Array.from({ length: 80 + gap }, (_, f) => (f < 40 ? 0 : f < 40 + gap ? null : 100));
    const long = smoothSequence(trackOf(xs(5)));
    expect(xAt(long, 39)).toBeCloseTo(0, 4);
    expect(xAt(long, 45)).toBeCloseTo(100, 4);
    const short = smoothSequence(trackOf(xs(2)));
    expect(xAt(short, 39)).toBeGreaterThan(1);
    expect(short.frames[40].persons).toEqual([]); // nothing invented in the gap
  });

  it('interpolated frames are re-interpolated between the smoothed detections around them', () => {
    const xs = Array.from({ length: 60 }, (_, f) => (f >= 20 && f < 26 ? null : f * 2 + (f % 2 ? 1 : -1)));
    const filled = fillGaps(trackOf(xs));
    const s = smoothSequence(filled);
    expect(s.frames[22].persons[0].state).toBe('interpolated');
    const a = xAt(s, 19), b = xAt(s, 26);
    expect(xAt(s, 22)).toBeCloseTo(a + ((b - a) * 3) / 7, 3);
  });

  it('excludes a one-frame limb swap as an anchor and replaces it by the fit of its neighbours', () => {
    const { raw: r, truth: t } = walkingClip({ frames: 200, people: 1, seed: 9, holdEvery: 0 });
    const p = r.frames[120].persons[0];
    const names = PHALP45.names;
    for (const j of ['Hip', 'Knee', 'Ankle', 'BigToe', 'SmallToe', 'Heel']) {
      const l = names.indexOf(`L${j}`), rr = names.indexOf(`R${j}`);
      for (const [arr, D] of [[p.keypoints_2d, 2], [p.keypoints_3d, 3]] as const) {
        for (let k = 0; k < D; k++) [arr[D * l + k], arr[D * rr + k]] = [arr[D * rr + k], arr[D * l + k]];
      }
    }
    const s = smoothSequence(r);
    const la = names.indexOf('LAnkle');
    const err = (q: PersonPose) => Math.hypot(q.keypoints_2d[2 * la] - t.frames[120].persons[0].keypoints_2d[2 * la], q.keypoints_2d[2 * la + 1] - t.frames[120].persons[0].keypoints_2d[2 * la + 1]) / q.bbox[3];
    expect(err(p)).toBeGreaterThan(0.1); // raw: the left ankle is where the right one is
    expect(err(s.frames[120].persons[0])).toBeLessThan(0.02);
  });
});
