import { describe, expect, it } from 'vitest';
import { BLAZEPOSE33 } from '../../lib/pose/joints';
import type { PersonPose, PersonState, PoseSequence } from '../../lib/pose/types';
import { applyWeakPerspective, fitWeakPerspective, interiorAngle, modelToThree, personArcs, personArcs2d } from '../../lib/viewer/angleArcs';
import { angleDomain, angleSeries, availableAngles, curvePaths, maskRuns, rangeStats } from '../../lib/viewer/angleSeries';
import { buildTrackTable, COVER } from '../../lib/viewer/tracks';

/**
 * CONSTRUCTED poses with known angles (not runner output): a BlazePose skeleton standing facing the
 * camera (x right, y down, z away), straight right leg, left knee bent by `knee` degrees towards the
 * camera (the shank turns into depth, so past ~53 degrees it is depth-dominated).
 */
const at = (name: string) => BLAZEPOSE33.names.indexOf(name);
function standing(knee: number): Float32Array {
  const kp = new Float32Array(33 * 3);
  for (let j = 0; j < 33; j++) kp.set([0, -0.7, 0], 3 * j); // face points
  const put = (name: string, p: number[]) => kp.set(p, 3 * at(name));
  put('left_shoulder', [0.2, -0.5, 0]); put('right_shoulder', [-0.2, -0.5, 0]);
  put('left_elbow', [0.25, -0.2, 0]); put('right_elbow', [-0.25, -0.2, 0]);
  put('left_wrist', [0.25, 0.1, 0]); put('right_wrist', [-0.25, 0.1, 0]);
  put('left_hip', [0.1, 0, 0]); put('right_hip', [-0.1, 0, 0]);
  put('right_knee', [-0.1, 0.45, 0]); put('right_ankle', [-0.1, 0.9, 0]);
  const t = (knee * Math.PI) / 180;
  put('left_knee', [0.1, 0.45, 0]);
  const ankle = [0.1, 0.45 + 0.45 * Math.cos(t), -0.45 * Math.sin(t)];
  put('left_ankle', ankle);
  for (const s of ['left', 'right']) {
    const a = s === 'left' ? ankle : [-0.1, 0.9, 0];
    put(`${s}_heel`, [a[0], a[1] + 0.05, a[2] + 0.05]);
    put(`${s}_foot_index`, [a[0], a[1] + 0.06, a[2] - 0.15]);
  }
  return kp;
}

/** orthographic picture of the 3D joints: 200 px per metre, hips at (500, 300) */
function picture(kp: Float32Array): Float32Array {
  const uv = new Float32Array(33 * 2);
  for (let j = 0; j < 33; j++) uv.set([500 + 200 * kp[3 * j], 300 + 200 * kp[3 * j + 1]], 2 * j);
  return uv;
}

function person(track: number, state: PersonState, knee: number): PersonPose {
  const kp = standing(knee);
  return {
    track_id: track, state, confidence: state === 'detected' ? 0.9 : null, tracking_confidence: 0.9, frames_since_seen: 0,
    smpl: null, camera: null, keypoints_3d: kp, keypoints_2d: picture(kp), keypoint_scores: null, bbox: [400, 150, 200, 350],
  };
}

// 20 frames; knee bends 0 -> 95 degrees (5 per frame); frames 6-7 held, frame 12 absent
const KNEE = (f: number) => 5 * f;
const STATE = (f: number): PersonState | null => (f === 12 ? null : f === 6 || f === 7 ? 'held' : 'detected');
const seq: PoseSequence = {
  runner: 'cpu', joint_set: 'blazepose33', joint_names: [...BLAZEPOSE33.names], width: 1000, height: 600, fps: 30, frame_count: 20,
  intrinsics: null,
  frames: Array.from({ length: 20 }, (_, f) => ({ frame_number: f, timestamp: f / 30, persons: STATE(f) ? [person(1, STATE(f)!, KNEE(f))] : [] })),
};

describe('angle series', () => {
  const table = buildTrackTable(seq);
  const series = angleSeries(seq, table);
  const knee = series.get(1)!.get('left_knee_flexion')!;

  it('holds every angle per frame: known values, NaN where the track is absent, depth-dominated frames marked', () => {
    for (let f = 0; f < 20; f++) {
      if (f === 12) expect(knee.values[f]).toBeNaN();
      else expect(knee.values[f]).toBeCloseTo(KNEE(f), 3);
    }
    expect(series.get(1)!.get('right_knee_flexion')!.values[5]).toBeCloseTo(0, 3);
    // the shank points into depth past 53.1 degrees (|cos| > 0.8): frames 11.. (55 degrees and up)
    expect(Array.from(knee.low).map((v, f) => (v ? f : -1)).filter((f) => f >= 0)).toEqual([11, 13, 14, 15, 16, 17, 18, 19]);
    expect(maskRuns(knee.low)).toEqual([{ from: 11, to: 11 }, { from: 13, to: 19 }]);
    const names = availableAngles(series).map((d) => d.name);
    expect(names).toContain('left_knee_flexion');
    expect(names).toContain('trunk_lean');
  });

  it('min / max / range inside a loop count detected frames only', () => {
    const cov = table.coverage.get(1)!;
    // frames 4..8: 6 and 7 are held (30, 35 degrees): the max is frame 8, the min frame 4
    expect(rangeStats(knee.values, cov, 4, 8)).toEqual({ min: knee.values[4], max: knee.values[8], range: knee.values[8] - knee.values[4], minFrame: 4, maxFrame: 8, frames: 3 });
    expect(rangeStats(knee.values, cov, 6, 7)).toBeNull();
    expect(rangeStats(knee.values, cov, 0, 19)!.maxFrame).toBe(19);
  });

  it('draws detected steps solid and steps touching held frames dashed, breaking at absent frames', () => {
    const cov = table.coverage.get(1)!;
    const { solid, faded } = curvePaths(knee.values, cov, (d) => d / 100);
    const moves = (d: string) => d.split(' ').filter((t) => t.startsWith('M')).length;
    // solid: 0..5, 8..11, 13..19 ; faded: 5->6->7->8
    expect(moves(solid)).toBe(3);
    expect(moves(faded)).toBe(1);
    expect(faded.startsWith('M5.5 0.2500 L6.5')).toBe(true);
    expect(solid).not.toContain('12.5');
    expect(faded).toContain('L8.5 0.4000');
    expect(curvePaths(Float32Array.from([NaN, 10, NaN]), Uint8Array.from([0, COVER.detected, 0]), (d) => d).solid).toBe('M1.2 10.0000 L1.8 10.0000');
    expect(angleDomain([0, 160], [Float32Array.from([-12, 171, NaN])])).toEqual([-20, 180]);
  });
});

describe('arcs on a person', () => {
  const p = person(1, 'detected', 60);

  it('3D: the knee flexion arc is the flexion, at the knee, in scene coordinates', () => {
    const t = { tx: 1, ty: 2, tz: 3 };
    const [arc] = personArcs('blazepose33', p, ['left_knee_flexion'], modelToThree(t));
    expect(arc.mode).toBe('supplement');
    expect(arc.value).toBeCloseTo(60, 3);
    expect(arc.arc.sweepDeg).toBeCloseTo(60, 3);
    expect(arc.low).toBe(true); // 60 > 53.1: the shank points into depth
    expect(arc.vertex).toEqual(modelToThree(t)([0.1, 0.45, 0]).map((v) => expect.closeTo(v, 6)));
    // null angles are left out
    const q = person(1, 'detected', 10);
    q.keypoints_3d.fill(NaN, 3 * at('left_ankle'), 3 * at('left_ankle') + 3);
    expect(personArcs('blazepose33', q, ['left_knee_flexion', 'right_knee_flexion']).map((a) => a.name)).toEqual(['right_knee_flexion']);
  });

  it('2D without a camera: joint angles between the drawn limbs, trunk angles through a weak-perspective fit', () => {
    const fit = fitWeakPerspective(p.keypoints_3d, p.keypoints_2d)!;
    expect(fit.s).toBeCloseTo(200, 3);
    expect(applyWeakPerspective(fit, [0, 0, 5])).toEqual([expect.closeTo(500, 3), expect.closeTo(300, 3)]);
    const arcs = personArcs2d('blazepose33', p, ['left_knee_flexion', 'left_elbow_flexion', 'trunk_lean'], (u, v) => [u / 2, v / 2]);
    const byName = new Map(arcs.map((a) => [a.name, a]));
    const kneeArc = byName.get('left_knee_flexion')!;
    // vertex on the drawn knee (element pixels = video pixels / 2); the picture foreshortens the bend to 0
    expect(kneeArc.vertex).toEqual([expect.closeTo(260, 3), expect.closeTo(195, 3)]);
    expect(kneeArc.arc.sweepDeg).toBeCloseTo(0, 3);
    expect(kneeArc.value).toBeCloseTo(60, 3);
    // elbow bent in the picture plane: the 2D arc shows the same flexion
    const elbow = byName.get('left_elbow_flexion')!;
    expect(elbow.arc.sweepDeg).toBeCloseTo(elbow.value, 3);
    expect(elbow.arc.sweepDeg).toBeCloseTo(180 - interiorAngle([0.2, -0.5], [0.25, -0.2], [0.25, 0.1]), 3);
    // trunk lean: drawn at the projected mid-hip
    const trunk = byName.get('trunk_lean')!;
    expect(trunk.vertex).toEqual([expect.closeTo(250, 3), expect.closeTo(150, 3)]);
    expect(fitWeakPerspective(new Float32Array(6).fill(NaN), new Float32Array(4))).toBeNull();
  });
});
