/** readPhalpResults on the real samples and on a generated multi-person file with ghosts and late confirmation. */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NDArray, readJoblibFile } from '../../lib/pickle';
import { PhalpResultsError, readPhalpResults } from '../../lib/phalp';
import { computeTrackStats } from '../../lib/pose/coverage';
import { HOLD_DECAY } from '../../lib/pose/confidence';
import { fillGaps } from '../../lib/pose/interpolate';
import type { PersonPose, PoseSequence } from '../../lib/pose/types';
import type { FrameIndex } from '../../lib/video/types';
import { SAMPLES, makeFixtures } from '../pickle/fixtures';

const sample = (f: string) => path.join(SAMPLES, f);
const states = (seq: PoseSequence, id = 1) =>
  seq.frames.map((f) => f.persons.find((p) => p.track_id === id)?.state ?? '-');

describe('walk_8.pkl (real)', () => {
  let seq: PoseSequence;
  let raw: Map<string, Map<string, unknown>>;
  beforeAll(async () => {
    seq = await readPhalpResults(sample('walk_8.pkl'));
    raw = (await readJoblibFile(sample('walk_8.pkl'))) as typeof raw;
  });

  it('has 104 frames, 0-based frames 0-7 empty (the 1-based JPGs 1-8), 8-98 detected, 99-103 held', () => {
    expect(seq.frame_count).toBe(104);
    expect(seq.frames.map((f) => f.frame_number)).toEqual([...Array(104).keys()]);
    const s = states(seq);
    expect(s.slice(0, 8)).toEqual(Array(8).fill('-'));
    expect(s.slice(8, 99)).toEqual(Array(91).fill('detected'));
    expect(s.slice(99)).toEqual(Array(5).fill('held'));
    expect(seq.frames.slice(99).map((f) => f.persons[0].frames_since_seen)).toEqual([1, 2, 3, 4, 5]);
    expect(seq.width).toBe(852);
    expect(seq.height).toBe(480);
    expect(seq.fps).toBe(30);
    expect(seq.frames[30].timestamp).toBeCloseTo(1, 12);
  });

  it('held frames are stale copies with falling tracking confidence', () => {
    const last = seq.frames[98].persons[0];
    const held = seq.frames.slice(99).map((f) => f.persons[0]);
    for (const h of held) {
      expect(h.confidence).toBe(last.confidence);
      expect(h.keypoints_2d).toEqual(last.keypoints_2d);
    }
    const tc = held.map((h) => h.tracking_confidence);
    for (let i = 1; i < tc.length; i++) expect(tc[i]).toBeLessThan(tc[i - 1]);
    expect(tc[0]).toBeLessThan(last.tracking_confidence);
    expect(tc[4]).toBeCloseTo(last.confidence! * HOLD_DECAY ** 5, 12);
  });

  it('pixel joints follow PHALP.md section 3 on the file values; intrinsics too', () => {
    const rec = [...raw.values()].find((r) => r.get('time') === 50)!;
    const j2d = ((rec.get('2d_joints') as NDArray[])[0]).data as Float32Array;
    const S = 852, left = 0, top = (852 - 480) >> 1;
    const p = seq.frames[50].persons[0];
    for (let k = 0; k < 45; k++) {
      expect(p.keypoints_2d[2 * k]).toBe(Math.fround(j2d[2 * k] * S - left));
      expect(p.keypoints_2d[2 * k + 1]).toBe(Math.fround(j2d[2 * k + 1] * S - top));
    }
    expect(seq.intrinsics).toEqual({ fx: (5000 * 852) / 256, fy: (5000 * 852) / 256, cx: 426, cy: 426 - 186 });
    const cam = ((rec.get('camera') as NDArray[])[0]).data;
    expect(p.camera).toEqual({ tx: cam[0], ty: cam[1], tz: cam[2] });
    expect(p.smpl!.body_pose.length).toBe(207);
    expect(p.smpl!.global_orient).toBeInstanceOf(Float32Array);
    expect(p.keypoints_3d.length).toBe(135);
    expect(p.keypoint_scores).toBeNull();
    expect(p.bbox).toEqual([...((rec.get('bbox') as NDArray[])[0].data as Float32Array)]);
    expect(p.confidence).toBe((rec.get('conf') as number[])[0]);
  });

  it('coverage', () => {
    const [t] = computeTrackStats(seq);
    expect(t).toMatchObject({ track_id: 1, first_frame: 8, last_frame: 103, detected: 91, held: 5, interpolated: 0, missing: 8 });
    expect(t.lost).toEqual([
      { from: 0, to: 7, shown_as: 'missing', reason: 'before_confirmation' },
      { from: 99, to: 103, shown_as: 'held', reason: 'not_matched' },
    ]);
    expect(t.mean_confidence).toBeGreaterThan(0.9);
  });
});

describe('other samples', () => {
  it('poses_tiny.pkl: empty frame 0, one detection, two ghosts', async () => {
    const seq = await readPhalpResults(sample('poses_tiny.pkl'));
    expect(states(seq)).toEqual(['-', 'detected', 'held', 'held']);
    expect(seq.width).toBe(1920);
    expect(seq.height).toBe(1080);
  });

  it('seated_60fps.pkl with the clip frame index: fps, pts and frame count from the video', async () => {
    const pts = Array.from({ length: 95 }, (_, i) => i / 60 + (i > 50 ? 0.004 : 0));
    const frameIndex: FrameIndex = { frameCount: 95, width: 1920, height: 1080, fps: 60, pts };
    const seq = await readPhalpResults(sample('seated_60fps.pkl'), { frameIndex });
    expect(seq.frame_count).toBe(95);
    expect(seq.fps).toBe(60);
    expect(seq.frames[60].timestamp).toBe(pts[60]);
    expect(states(seq).slice(93)).toEqual(['-', '-']); // video frames PHALP did not return are kept, empty
    expect(states(seq).slice(0, 93)).toEqual(Array(93).fill('detected'));
    const plain = await readPhalpResults(sample('seated_60fps_plain.pkl'), { frameIndex });
    expect(plain.frames[40].persons[0].keypoints_2d).toEqual(seq.frames[40].persons[0].keypoints_2d);
  });

  it('a frame index shorter than the results is a clear error', async () => {
    const frameIndex: FrameIndex = { frameCount: 50, width: 852, height: 480, fps: 30, pts: [...Array(50).keys()].map((i) => i / 30) };
    await expect(readPhalpResults(sample('walk_8.pkl'), { frameIndex })).rejects.toThrow(
      /results name frame 103 but the video has 50 frames/,
    );
  });
});

describe('generated multi-person results (ghosts, late confirmation, keys out of order)', () => {
  let fx: ReturnType<typeof makeFixtures>;
  let seq: PoseSequence;
  const frameIndex: FrameIndex = { frameCount: 24, width: 1280, height: 720, fps: 25, pts: [...Array(24).keys()].map((i) => i / 25) };
  beforeAll(async () => {
    fx = makeFixtures();
    seq = await readPhalpResults(path.join(fx.dir, 'multi_zlib.pkl'), { frameIndex });
  });
  afterAll(() => fx?.cleanup());

  it('places frames by time and keeps empty ones', () => {
    const d = 'detected', h = 'held', m = '-';
    expect(states(seq, 1)).toEqual([...Array(10).fill(d), h, h, h, ...Array(7).fill(d), m, m, m, m]);
    expect(states(seq, 2)).toEqual([...Array(5).fill(m), ...Array(11).fill(d), h, h, h, h, m, m, m, m]);
    expect(seq.frames[21].persons).toEqual([]);
    expect(seq.frames[7].persons.map((p) => p.track_id)).toEqual([1, 2]);
  });

  it('ghosts carry the last detection values', () => {
    const last = seq.frames[9].persons[0];
    const ghost = seq.frames[11].persons[0];
    expect(ghost.smpl!.body_pose).toEqual(last.smpl!.body_pose);
    expect(ghost.frames_since_seen).toBe(2);
    expect(ghost.keypoints_2d).toEqual(last.keypoints_2d);
  });

  it('every container and protocol gives the same sequence', async () => {
    for (const f of ['multi_gzip.pkl', 'multi_plain.pkl', 'multi_p2.pkl', 'multi_p5.pkl']) {
      const other = await readPhalpResults(path.join(fx.dir, f), { frameIndex });
      expect(other.frames, f).toEqual(seq.frames);
    }
  });

  it('coverage', () => {
    const [t1, t2] = computeTrackStats(seq);
    expect(t1).toMatchObject({ track_id: 1, first_frame: 0, last_frame: 19, detected: 17, held: 3, missing: 4 });
    expect(t1.lost).toEqual([
      { from: 10, to: 12, shown_as: 'held', reason: 'not_matched' },
      { from: 20, to: 23, shown_as: 'missing', reason: 'after_end' },
    ]);
    expect(t2).toMatchObject({ track_id: 2, first_frame: 5, last_frame: 19, detected: 11, held: 4, missing: 9 });
    expect(t2.lost).toEqual([
      { from: 0, to: 4, shown_as: 'missing', reason: 'before_confirmation' },
      { from: 16, to: 19, shown_as: 'held', reason: 'not_matched' },
      { from: 20, to: 23, shown_as: 'missing', reason: 'after_end' },
    ]);
  });

  it('fillGaps interpolates between detections only, never as detected', () => {
    const filled = fillGaps(seq, { maxGap: 5 });
    expect(states(filled, 1).slice(10, 13)).toEqual(['interpolated', 'interpolated', 'interpolated']);
    expect(states(filled, 2).slice(16, 20)).toEqual(['held', 'held', 'held', 'held']); // no detection after
    expect(states(seq, 1).slice(10, 13)).toEqual(['held', 'held', 'held']); // input untouched
    const a = seq.frames[9].persons[0], b = seq.frames[13].persons[0];
    const mid = filled.frames[11].persons.find((p) => p.track_id === 1)!;
    expect(mid.confidence).toBeNull();
    expect(mid.frames_since_seen).toBe(2);
    expect(mid.tracking_confidence).toBeLessThan(Math.min(a.tracking_confidence, b.tracking_confidence));
    expect(mid.camera!.tz).toBeCloseTo((a.camera!.tz + b.camera!.tz) / 2, 5);
    expect(mid.keypoints_2d[0]).toBeCloseTo((a.keypoints_2d[0] + b.keypoints_2d[0]) / 2, 3);
    expectRotations(mid);
    const stats = computeTrackStats(filled)[0];
    expect(stats).toMatchObject({ detected: 17, held: 0, interpolated: 3 });
    expect(stats.lost[0]).toEqual({ from: 10, to: 12, shown_as: 'interpolated', reason: 'not_matched' });
    expect(states(fillGaps(seq, { maxGap: 2 }), 1).slice(10, 13)).toEqual(['held', 'held', 'held']);
  });
});

function expectRotations(p: PersonPose) {
  const all = [...p.smpl!.global_orient, ...p.smpl!.body_pose];
  for (let o = 0; o < all.length; o += 9) {
    const r = all.slice(o, o + 9);
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 3; j++) {
        const dot = r[3 * i] * r[3 * j] + r[3 * i + 1] * r[3 * j + 1] + r[3 * i + 2] * r[3 * j + 2];
        expect(dot).toBeCloseTo(i === j ? 1 : 0, 4);
      }
  }
}

describe('not PHALP results', () => {
  it('a pickle that is not a results dict fails clearly', async () => {
    const fx = makeFixtures();
    try {
      await expect(readPhalpResults(path.join(fx.dir, 'values_zlib_p4.pkl'))).rejects.toThrow(PhalpResultsError);
    } finally {
      fx.cleanup();
    }
  });
});
