import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readPhalpResults } from '../../lib/phalp';
import { ANGLE_DEFS, angleArcPoints, angleDepthDominated, angleJointIndices, angleNames, anglesWithValidity, jointAngles } from '../../lib/pose/angles';
import { BLAZEPOSE33, PHALP45 } from '../../lib/pose/joints';
import type { CameraTranslation, PoseSequence } from '../../lib/pose/types';
import { rng } from './motion';

const SAMPLES = path.resolve('../shared/samples/phalp');
const REFERENCE = path.resolve('test/analysis/angles_reference.py');

type Ref = { angles: Record<string, number | null>[]; low: Record<string, boolean>[] };

/** Angles of the same poses by the independent numpy script. */
function numpyAngles(set: string, poses: Float32Array[], cameras: (CameraTranslation | null)[]): Ref {
  const input = JSON.stringify({
    set,
    poses: poses.map((p) => Array.from(p, (v) => (Number.isFinite(v) ? v : null))),
    cameras: cameras.map((c) => (c ? [c.tx, c.ty, c.tz] : null)),
  });
  return JSON.parse(execFileSync('/usr/bin/python3', [REFERENCE], { input, encoding: 'utf8', maxBuffer: 64 << 20 }));
}

function expectSameAngles(set: string, poses: Float32Array[], cameras: (CameraTranslation | null)[]) {
  const ref = numpyAngles(set, poses, cameras);
  let compared = 0;
  poses.forEach((kp, i) => {
    const ours = jointAngles(set, kp);
    const low = angleDepthDominated(set, kp, cameras[i]);
    expect(anglesWithValidity(set, kp, cameras[i])).toEqual({ angles: ours, lowValidity: low });
    expect(Object.keys(ref.angles[i]).sort()).toEqual(angleNames().sort());
    for (const name of angleNames()) {
      const r = ref.angles[i][name];
      if (r === null) expect(ours[name], `${name} pose ${i}`).toBeNull();
      else {
        expect(ours[name], `${name} pose ${i}`).not.toBeNull();
        expect(ours[name]!, `${name} pose ${i}`).toBeCloseTo(r, 4);
        compared++;
      }
      expect(low[name], `low validity of ${name} pose ${i}`).toBe(ref.low[i][name]);
    }
  });
  return compared;
}

/** A pose of the joint set with every joint at NaN, then the given joints set. */
function pose(set: typeof PHALP45, joints: Record<string, [number, number, number]>): Float32Array {
  const kp = new Float32Array(set.names.length * 3).fill(NaN);
  for (const [name, p] of Object.entries(joints)) {
    const i = set.names.indexOf(name);
    if (i < 0) throw new Error(`no joint ${name}`);
    kp.set(p, 3 * i);
  }
  return kp;
}

describe('joint angles: the definitions table', () => {
  it('one table with unique names, ranges and descriptions; every angle has a value for a full pose', () => {
    const names = angleNames();
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual(ANGLE_DEFS.map((d) => d.name));
    for (const d of ANGLE_DEFS) {
      expect(d.range[0]).toBeLessThan(d.range[1]);
      expect(d.description.length).toBeGreaterThan(20);
      expect(d.joints.length).toBeGreaterThanOrEqual(2);
    }
    for (const n of ['left_knee_flexion', 'right_knee_flexion', 'left_hip_flexion', 'right_hip_flexion', 'left_elbow_flexion', 'right_elbow_flexion', 'left_shoulder_elevation', 'right_shoulder_elevation', 'trunk_lean'])
      expect(names).toContain(n);
  });

  it('unknown joint sets, wrong lengths and unknown angles are clear errors', () => {
    expect(() => jointAngles('coco17', new Float32Array(51))).toThrow(/unknown joint set 'coco17'/);
    expect(() => jointAngles('phalp45', new Float32Array(10))).toThrow(/needs 135/);
    expect(() => angleJointIndices('phalp45', 'left_toe_wiggle')).toThrow(/unknown angle 'left_toe_wiggle'/);
  });
});

describe('joint angles on constructed poses with known answers', () => {
  for (const set of [PHALP45, BLAZEPOSE33]) {
    const n = (s: 'L' | 'R', j: string) =>
      set === PHALP45 ? `${s}${j[0].toUpperCase()}${j.slice(1)}` : `${s === 'L' ? 'left' : 'right'}_${j}`;
    it(`${set.name}: straight leg = 0, right-angled knee = 90, missing joint = null (never 0)`, () => {
      const kp = pose(set, {
        [n('L', 'hip')]: [0.1, 0, 0], [n('L', 'knee')]: [0.1, 0.45, 0], [n('L', 'ankle')]: [0.1, 0.9, 0], // straight, vertical
        [n('R', 'hip')]: [-0.1, 0, 0], [n('R', 'knee')]: [-0.1, 0.45, 0], [n('R', 'ankle')]: [-0.1, 0.45, -0.43], // shank towards the camera
        [n('L', 'shoulder')]: [0.1, -0.5, 0], [n('R', 'shoulder')]: [-0.1, -0.5, 0],
        [n('L', 'elbow')]: [0.48, -0.5, 0], // arm straight out sideways
      });
      const a = jointAngles(set.name, kp);
      expect(a.left_knee_flexion).toBeCloseTo(0, 6);
      expect(a.right_knee_flexion).toBeCloseTo(90, 6);
      expect(a.left_hip_flexion).toBeCloseTo(0, 6); // shoulder above hip above knee
      expect(a.left_shoulder_elevation).toBeCloseTo(90, 5);
      expect(a.trunk_lean).toBeCloseTo(0, 6);
      expect(a.pelvis_obliquity).toBeCloseTo(0, 6);
      expect(a.left_elbow_flexion).toBeNull(); // no wrist
      expect(a.right_shoulder_elevation).toBeNull(); // no right elbow
      expect(a.left_ankle_dorsiflexion).toBeNull(); // no heel/toe
      const low = angleDepthDominated(set.name, kp);
      expect(low.right_knee_flexion).toBe(true); // the shank points straight at the camera
      expect(low.left_knee_flexion).toBe(false);
      expect(low.left_elbow_flexion).toBe(false); // null angles are not flagged
    });

    it(`${set.name}: non-finite joints give null`, () => {
      const kp = pose(set, { [n('L', 'hip')]: [0, 0, 0], [n('L', 'knee')]: [0, 0.45, 0], [n('L', 'ankle')]: [Infinity, 0.9, 0] });
      expect(jointAngles(set.name, kp).left_knee_flexion).toBeNull();
    });
  }

  it('signs: forward trunk lean, left hip higher, turning left, ankle dorsiflexion, trunk rotation', () => {
    // athlete facing the camera (-z): their left is the image's right (+x)
    const lean = (30 * Math.PI) / 180;
    const base = {
      LHip: [0.1, -0.02, 0], RHip: [-0.1, 0.02, 0], // left hip higher (y down)
      LShoulder: [0.18, -0.5 * Math.cos(lean), -0.5 * Math.sin(lean)], RShoulder: [-0.18, -0.5 * Math.cos(lean), -0.5 * Math.sin(lean)], // leaning towards the camera = forward
      LKnee: [0.1, 0.45, 0], LAnkle: [0.1, 0.9, 0], LHeel: [0.1, 0.95, 0.05], LBigToe: [0.1, 0.9, -0.15], // toes up towards the shin: dorsiflexion
    } as Record<string, [number, number, number]>;
    const a = jointAngles('phalp45', pose(PHALP45, base));
    expect(a.trunk_forward_lean).toBeCloseTo(30, 4);
    expect(a.trunk_lean).toBeCloseTo(30, 4);
    expect(a.pelvis_obliquity).toBeGreaterThan(5);
    expect(Math.abs(a.pelvis_rotation!)).toBeLessThan(7); // facing the camera
    expect(a.left_ankle_dorsiflexion).toBeGreaterThan(10);
    // turned 90 degrees to their left: facing the image's right, left side away from the camera
    const turned = jointAngles('phalp45', pose(PHALP45, { LHip: [0, 0, 0.1], RHip: [0, 0, -0.1], LShoulder: [-0.05, -0.5, 0.18], RShoulder: [0.05, -0.5, -0.18] }));
    expect(turned.pelvis_rotation).toBeCloseTo(90, 5);
    // shoulders turned further left than the pelvis: positive trunk rotation
    expect(turned.trunk_rotation).toBeGreaterThan(10);
    expect(turned.shoulder_rotation! - turned.pelvis_rotation!).toBeCloseTo(turned.trunk_rotation!, 0);
  });

  it('arc geometry: vertex joints for 3-point angles, points for every computable angle', () => {
    const ix = angleJointIndices('phalp45', 'left_knee_flexion');
    expect(ix).toEqual({ a: PHALP45.names.indexOf('LHip'), b: PHALP45.names.indexOf('LKnee'), c: PHALP45.names.indexOf('LAnkle') });
    expect(angleJointIndices('blazepose33', 'right_elbow_flexion')).toEqual({ a: 12, b: 14, c: 16 });
    expect(angleJointIndices('phalp45', 'trunk_lean')).toBeNull();
    const kp = pose(PHALP45, { LHip: [0.1, 0, 0], RHip: [-0.1, 0, 0], LShoulder: [0.18, -0.5, 0], RShoulder: [-0.18, -0.5, 0] });
    const arc = angleArcPoints('phalp45', kp, 'trunk_lean')!;
    expect(arc.vertex).toEqual([0, 0, 0]);
    expect(arc.to[1]).toBeCloseTo(-0.5, 6);
    expect(angleArcPoints('phalp45', kp, 'left_knee_flexion')).toBeNull();
  });

  it('depth-dominated uses the line of sight from the camera centre, not only the optical axis', () => {
    // a thigh along x, seen from a camera far to its side (x = -5 m, z = 1 m): the line of sight runs along the thigh
    const kp = pose(PHALP45, { LHip: [0, 0, 0], LKnee: [0.45, 0, 0], LAnkle: [0.45, 0.43, 0], LShoulder: [0, -0.5, 0] });
    expect(angleDepthDominated('phalp45', kp).left_knee_flexion).toBe(false);
    expect(angleDepthDominated('phalp45', kp, { tx: 5, ty: 0, tz: 1 }).left_knee_flexion).toBe(true);
  });
});

describe('joint angles against numpy', () => {
  const seqs: Record<string, PoseSequence> = {};
  beforeAll(async () => {
    for (const f of ['walk_8', 'seated_60fps', 'poses_tiny']) seqs[f] = await readPhalpResults(path.join(SAMPLES, `${f}.pkl`));
  });

  it('every person-frame of the real PHALP samples', () => {
    for (const [name, seq] of Object.entries(seqs)) {
      const persons = seq.frames.flatMap((f) => f.persons);
      expect(persons.length, name).toBeGreaterThan(0);
      const compared = expectSameAngles(seq.joint_set, persons.map((p) => p.keypoints_3d), persons.map((p) => p.camera));
      expect(compared, name).toBe(persons.length * angleNames().length); // PHALP has every joint
    }
  });

  it('random BlazePose and PHALP poses, some joints missing', () => {
    const r = rng(7);
    for (const set of [BLAZEPOSE33, PHALP45]) {
      const poses: Float32Array[] = [], cams: (CameraTranslation | null)[] = [];
      for (let i = 0; i < 200; i++) {
        const kp = Float32Array.from({ length: set.names.length * 3 }, () => r() - 0.5);
        if (i % 5 === 0) kp[3 * Math.floor(r() * set.names.length)] = NaN;
        poses.push(kp);
        cams.push(i % 2 ? { tx: r() * 2 - 1, ty: r() - 0.5, tz: 2 + r() * 5 } : null);
      }
      expectSameAngles(set.name, poses, cams);
    }
  });
});
