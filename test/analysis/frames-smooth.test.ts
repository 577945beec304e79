import type { Db } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { framesResponse, type FramesBody, type PersonJson } from '../../lib/frames/api';
import { ensureFrameIndexes, loadSequence, saveSequence } from '../../lib/frames/repo';
import { angleDepthDominated, angleNames, jointAngles } from '../../lib/pose/angles';
import { smoothingContext, smoothSequence } from '../../lib/pose/smooth';
import type { PersonPose, PoseSequence } from '../../lib/pose/types';
import { insertClip, openTestDb } from '../frames/db';
import { walkingClip } from './motion';

// The frames API on the REAL MongoDB of the test run: raw vs smooth=1, against the library on the stored clip.
let db: Db;
let drop: () => Promise<void>;
let clipId: string;
let stored: PoseSequence;
let whole: PoseSequence;

beforeAll(async () => {
  ({ db, drop } = await openTestDb('frames_smooth'));
  await ensureFrameIndexes(db);
  clipId = await insertClip(db);
  const { raw } = walkingClip({ frames: 500, people: 2, seed: 21, holdEvery: 97 });
  // one broken frame, so coherence breaks and their exclusion travel through the API too
  const p = raw.frames[240].persons[0];
  for (let j = 0; j < 25; j++) p.keypoints_2d[2 * j] += 0.9 * p.bbox[3];
  await saveSequence(clipId, raw, { db });
  stored = (await loadSequence(clipId, { db }))!;
  whole = smoothSequence(stored);
}, 120_000);
afterAll(async () => drop?.());

async function get(q: string): Promise<FramesBody> {
  const res = await framesResponse(clipId, new URLSearchParams(q), { db });
  expect(res.status, JSON.stringify(res.body).slice(0, 300)).toBe(200);
  return JSON.parse(JSON.stringify(res.body));
}

function expectPerson(json: PersonJson, p: PersonPose, set: string) {
  expect(json.track_id).toBe(p.track_id);
  expect(json.state).toBe(p.state);
  expect(json.keypoints_2d.flat()).toEqual(Array.from(p.keypoints_2d));
  expect(json.keypoints_3d.flat()).toEqual(Array.from(p.keypoints_3d));
  expect(json.bbox).toEqual(Array.from(p.bbox, (v) => v));
  expect(json.camera).toEqual(p.camera ? { ...p.camera } : null);
  expect(json.smpl!.global_orient.flat()).toEqual(Array.from(p.smpl!.global_orient));
  const angles = jointAngles(set, p.keypoints_3d);
  expect(Object.keys(json.joint_angles!)).toEqual(angleNames());
  for (const n of angleNames()) {
    if (angles[n] === null) expect(json.joint_angles![n]).toBeNull();
    else expect(json.joint_angles![n]).toBeCloseTo(angles[n]!, 9);
  }
  expect(json.joint_angles_low_validity).toEqual(angleDepthDominated(set, p.keypoints_3d, p.camera));
}

describe('frames API: joint angles and smooth=1', () => {
  it('raw by default: smoothed=false, the stored values, angles from the raw joints', async () => {
    const body = await get('from=230&to=250');
    expect(body.smoothed).toBe(false);
    body.frames.forEach((f) => f.persons.forEach((pj, i) => expectPerson(pj, stored.frames[f.frame_number].persons[i], stored.joint_set)));
  });

  it('smooth=1: the values of smoothing the WHOLE clip, cut to the range (the range is read with context), angles from them', async () => {
    expect(smoothingContext(stored.fps)).toBeGreaterThan(6);
    for (const q of ['from=230&to=250', 'from=0&to=20', 'from=480', 'from=100&to=100']) {
      const body = await get(`${q}&smooth=1`);
      expect(body.smoothed).toBe(true);
      expect(body.frames.length).toBeGreaterThan(0);
      let persons = 0;
      body.frames.forEach((f) => f.persons.forEach((pj, i) => {
        expectPerson(pj, whole.frames[f.frame_number].persons[i], stored.joint_set);
        persons++;
      }));
      expect(persons, q).toBeGreaterThan(0);
    }
  });

  it('smooth=1 changes the values (and the broken frame is replaced), raw stays raw', async () => {
    const raw = await get('from=240&to=240');
    const sm = await get('from=240&to=240&smooth=true');
    const r = raw.frames[0].persons[0].keypoints_2d[0][0], s = sm.frames[0].persons[0].keypoints_2d[0][0];
    expect(r).toBe(stored.frames[240].persons[0].keypoints_2d[0]);
    const h = stored.frames[240].persons[0].bbox[3];
    expect(Math.abs(r - s)).toBeGreaterThan(0.5 * h); // the 0.9-box-height jump is gone from the smoothed frame
    // and the stored frames were not touched by any of this
    expect((await loadSequence(clipId, { db }))!.frames[240].persons[0].keypoints_2d[0]).toBe(r);
  });

  it('rejects a bad smooth value with a clear 400', async () => {
    const res = await framesResponse(clipId, new URLSearchParams('smooth=yes'), { db });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: "smooth must be 1 or 0 (got 'yes')" });
  });
});
