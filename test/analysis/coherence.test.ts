import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readPhalpResults } from '../../lib/phalp';
import { analyseSequence } from '../../lib/pose/analysis';
import { findCoherenceBreaks } from '../../lib/pose/coherence';
import { PHALP45 } from '../../lib/pose/joints';
import { medianInPlace, trackJitter } from '../../lib/pose/jitter';
import { smoothSequence } from '../../lib/pose/smooth';
import type { Logger } from '../../lib/log';
import type { PersonPose, PoseSequence } from '../../lib/pose/types';
import { analyseClip } from '../../worker/analyse';
import { walkingClip } from './motion';

const SAMPLES = path.resolve('../shared/samples/phalp');
const N = PHALP45.names;

function swapLegs(p: PersonPose) {
  for (const j of ['Hip', 'Knee', 'Ankle', 'BigToe', 'SmallToe', 'Heel']) {
    const l = N.indexOf(`L${j}`), r = N.indexOf(`R${j}`);
    for (const [arr, D] of [[p.keypoints_2d, 2], [p.keypoints_3d, 3]] as const)
      for (let k = 0; k < D; k++) [arr[D * l + k], arr[D * r + k]] = [arr[D * r + k], arr[D * l + k]];
  }
}
const person = (seq: PoseSequence, f: number, track = 1) => seq.frames[f].persons.find((p) => p.track_id === track)!;

describe('coherence breaks', () => {
  it('finds none in the real PHALP samples (no false alarms on real motion) nor in a clean generated clip', async () => {
    for (const f of ['walk_8', 'seated_60fps', 'poses_tiny']) {
      const seq = await readPhalpResults(path.join(SAMPLES, `${f}.pkl`));
      expect(findCoherenceBreaks(seq), f).toEqual([]);
    }
    expect(findCoherenceBreaks(walkingClip({ frames: 600, people: 2, seed: 3 }).raw)).toEqual([]);
  });

  it('flags a one-frame leg swap once, as not lasting', () => {
    const { raw } = walkingClip({ frames: 200, people: 2, seed: 4, holdEvery: 0 });
    swapLegs(person(raw, 100, 2));
    const breaks = findCoherenceBreaks(raw);
    expect(breaks).toHaveLength(1);
    expect(breaks[0]).toMatchObject({ track_id: 2, frame: 100, reason: 'limb_swap', lasting: false });
    expect(breaks[0].detail).toMatch(/legs swapped for one frame/);
  });

  it('flags a swap that stays once, where it starts, as lasting; the smoother does not blend the two labellings', () => {
    const { raw } = walkingClip({ frames: 200, people: 1, seed: 4, holdEvery: 0 });
    for (let f = 100; f < 200; f++) swapLegs(person(raw, f));
    const breaks = findCoherenceBreaks(raw);
    expect(breaks.map((b) => [b.frame, b.reason, b.lasting])).toEqual([[100, 'limb_swap', true]]);
    const s = smoothSequence(raw, { breaks });
    const la = N.indexOf('LAnkle');
    // frame 99 is fitted from frames <= 99 only: close to its raw value, not pulled towards the swapped side
    const d = (f: number) => Math.abs(person(s, f).keypoints_2d[2 * la] - person(raw, f).keypoints_2d[2 * la]) / person(raw, f).bbox[3];
    expect(d(99)).toBeLessThan(0.03);
    expect(d(101)).toBeLessThan(0.03);
  });

  it('flags a teleport (the track jumps a body height away and stays), lasting; the smoother splits there', () => {
    const { raw } = walkingClip({ frames: 200, people: 1, seed: 6, holdEvery: 0 });
    for (let f = 150; f < 200; f++) {
      const p = person(raw, f);
      const dy = 1.2 * p.bbox[3];
      for (let j = 0; j < N.length; j++) p.keypoints_2d[2 * j] += dy;
      p.bbox[0] += dy;
    }
    const breaks = findCoherenceBreaks(raw);
    expect(breaks.map((b) => [b.frame, b.reason, b.lasting])).toEqual([[150, 'teleport', true]]);
    expect(breaks[0].detail).toMatch(/box heights away from where its motion predicts/);
    const s = smoothSequence(raw);
    const x = (q: PoseSequence, f: number) => q.frames[f].persons[0].keypoints_2d[0];
    expect(Math.abs(x(s, 149) - x(raw, 149))).toBeLessThan(0.03 * person(raw, 149).bbox[3]);
  });

  it('flags a one-frame jump once, as not lasting, and the smoother puts the body back', () => {
    const { raw } = walkingClip({ frames: 120, people: 1, seed: 6, holdEvery: 0 });
    const p = person(raw, 70);
    const before = p.keypoints_2d[0];
    for (let j = 0; j < N.length; j++) p.keypoints_2d[2 * j + 1] -= 0.8 * p.bbox[3];
    const breaks = findCoherenceBreaks(raw);
    expect(breaks.map((b) => [b.frame, b.reason, b.lasting])).toEqual([[70, 'teleport', false]]);
    expect(breaks[0].detail).toMatch(/back at the next detection/);
    const s = smoothSequence(raw, { breaks });
    const y = (q: PoseSequence) => q.frames[70].persons[0].keypoints_2d[1];
    expect(y(s) - y(raw)).toBeGreaterThan(0.7 * p.bbox[3]);
    expect(s.frames[70].persons[0].keypoints_2d[0]).toBeCloseTo(before, -1);
  });

  it('flags a 3D bone that suddenly stretches, at that frame only', () => {
    const { raw } = walkingClip({ frames: 120, people: 1, seed: 8, holdEvery: 0 });
    const p = person(raw, 60);
    const knee = N.indexOf('LKnee'), ankle = N.indexOf('LAnkle');
    for (let k = 0; k < 3; k++) p.keypoints_3d[3 * ankle + k] = p.keypoints_3d[3 * knee + k] + 1.6 * (p.keypoints_3d[3 * ankle + k] - p.keypoints_3d[3 * knee + k]);
    const breaks = findCoherenceBreaks(raw);
    expect(breaks).toHaveLength(1);
    expect(breaks[0]).toMatchObject({ track_id: 1, frame: 60, reason: 'bone_length', lasting: false });
    expect(breaks[0].detail).toMatch(/^left shank [\d.]+ cm vs [\d.]+ cm around it \(\+[4-7]\d %\)$/);
  });

  it('judges detections only: held copies are never flagged', () => {
    const { raw } = walkingClip({ frames: 300, people: 2, seed: 2, holdEvery: 50 });
    expect(raw.frames.some((f) => f.persons.some((p) => p.state === 'held'))).toBe(true);
    expect(findCoherenceBreaks(raw)).toEqual([]);
  });
});

describe('jitter', () => {
  it('is the median |second difference| of the skeleton joints, % of box height (2D) and mm (3D)', () => {
    // every joint accelerates by 2 px/frame^2 on a 200 px box (1 %), and by 5 mm/frame^2 in 3D
    const J = N.length;
    const mk = (f: number, state: PersonPose['state'] = 'detected'): PersonPose => ({
      track_id: 3, state, confidence: 1, tracking_confidence: 1, frames_since_seen: state === 'held' ? 1 : 0, smpl: null, camera: null,
      keypoints_2d: Float32Array.from({ length: 2 * J }, (_, i) => (i % 2 ? 300 + i : f * f)),
      keypoints_3d: Float32Array.from({ length: 3 * J }, (_, i) => (i % 3 === 1 ? 0.0025 * f * f : i * 0.01)),
      keypoint_scores: null, bbox: [0, 0, 100, 200],
    });
    const seq: PoseSequence = {
      runner: 'phalp', joint_set: 'phalp45', joint_names: [...N], width: 1000, height: 1000, fps: 30, frame_count: 10, intrinsics: null,
      frames: Array.from({ length: 10 }, (_, f) => ({ frame_number: f, timestamp: f / 30, persons: [mk(f)] })),
    };
    const [j] = trackJitter(seq);
    expect(j.track_id).toBe(3);
    expect(j.jitter_pct).toBeCloseTo(1, 4);
    expect(j.jitter_3d_mm).toBeCloseTo(5, 2);
    // held frames break the triplets: none left -> null (not 0)
    seq.frames.forEach((f, i) => { if (i % 2) f.persons = [mk(i, 'held')]; });
    expect(trackJitter(seq)[0]).toEqual({ track_id: 3, jitter_pct: null, jitter_3d_mm: null });
  });

  it('medianInPlace agrees with sorting', () => {
    for (const n of [1, 2, 3, 10, 11, 1000, 1001]) {
      const xs = Float64Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898) * 43758.5453 % 1);
      const s = Array.from(xs).sort((a, b) => a - b);
      const want = n % 2 ? s[n >> 1] : (s[n / 2 - 1] + s[n / 2]) / 2;
      expect(medianInPlace(xs, n)).toBe(want);
    }
    expect(medianInPlace(new Float64Array(0), 0)).toBeNull();
  });
});

describe('analyseSequence and the worker step', () => {
  it('gives per-track jitter raw vs smoothed, the smoothing shift and the breaks; the worker logs every break', () => {
    const { raw } = walkingClip({ frames: 300, people: 2, seed: 12, holdEvery: 0 });
    swapLegs(person(raw, 150, 1));
    const { smoothed, analysis } = analyseSequence(raw);
    expect(smoothed.frames).toHaveLength(300);
    expect(analysis.tracks.map((t) => t.track_id)).toEqual([1, 2]);
    for (const t of analysis.tracks) {
      expect(t.jitter_smoothed!).toBeLessThan(t.jitter_raw! / 3);
      expect(t.jitter_3d_mm_smoothed!).toBeLessThan(t.jitter_3d_mm_raw! / 3);
      expect(t.smoothing_shift_pct!).toBeGreaterThan(0);
      expect(t.smoothing_shift_pct!).toBeLessThan(1.5);
    }
    expect(analysis.tracks[0].breaks.map((b) => [b.frame, b.reason])).toEqual([[150, 'limb_swap']]);
    expect(analysis.tracks[1].breaks).toEqual([]);

    const lines: { level: string; event: string; fields: Record<string, unknown> }[] = [];
    const log: Logger = {
      debug: (event, fields = {}) => lines.push({ level: 'debug', event, fields }),
      info: (event, fields = {}) => lines.push({ level: 'info', event, fields }),
      warn: (event, fields = {}) => lines.push({ level: 'warn', event, fields }),
      error: (event, fields = {}) => lines.push({ level: 'error', event, fields }),
      child: () => log,
    };
    const stored = analyseClip('clip-1', raw, log);
    expect(stored).toEqual(analysis);
    expect(lines.filter((l) => l.event === 'analysis.coherence-break')).toEqual([
      { level: 'warn', event: 'analysis.coherence-break', fields: expect.objectContaining({ clipId: 'clip-1', track_id: 1, frame: 150, reason: 'limb_swap' }) },
    ]);
    expect(lines.find((l) => l.event === 'analysis.done')?.fields).toMatchObject({ clipId: 'clip-1', breaks: { limb_swap: 1 } });
  });
});
