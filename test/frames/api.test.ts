import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ObjectId, type Db } from 'mongodb';
import { resetConfigForTests } from '../../lib/config';
import { framesResponse, MAX_FRAMES, MAX_MESH_FRAMES, type FramesBody } from '../../lib/frames/api';
import { ensureFrameIndexes, saveSequence } from '../../lib/frames/repo';
import { SmplEvaluator } from '../../lib/smpl/forward';
import { loadSmplModel } from '../../lib/smpl/load';
import { getDb } from '../../lib/db';
import { deleteFrames } from '../../lib/frames/repo';
import { GET } from '../../app/api/clips/[id]/frames/route';
import { insertClip, openTestDb } from './db';
import { syntheticSequence } from './synthetic-sequence';
import { signedIn, testUser } from '../auth/helpers';

let db: Db;
let drop: () => Promise<void>;
let clipId: string;
const seq = syntheticSequence({ frames: 1300, tracks: 2, seed: 11, width: 852, height: 480 });

beforeAll(async () => {
  ({ db, drop } = await openTestDb('frames_api'));
  await ensureFrameIndexes(db);
  clipId = await insertClip(db);
  await saveSequence(clipId, seq, { db });
});
afterAll(async () => drop?.());
afterEach(() => {
  delete process.env.SMPL_MODEL_PATH;
  resetConfigForTests();
});

const get = (id: string, q: string) => framesResponse(id, new URLSearchParams(q), { db });
async function ok(q: string): Promise<FramesBody> {
  const res = await get(clipId, q);
  expect(res.status, JSON.stringify(res.body).slice(0, 200)).toBe(200);
  // what the route sends: the JSON text, parsed as a client would
  return JSON.parse(JSON.stringify(res.body));
}

describe('GET /api/clips/:id/frames (framesResponse)', () => {
  it('returns the original design’s JSON shape and field names', async () => {
    const body = await ok('from=100&to=101');
    expect(body.total_frames).toBe(1300);
    expect(body.joint_names).toEqual(seq.joint_names);
    expect(body.frames.map((f) => f.frame_number)).toEqual([100, 101]);
    const person = body.frames[0].persons[0];
    expect(Object.keys(body.frames[0]).sort()).toEqual(['frame_number', 'persons', 'timestamp']);
    expect(Object.keys(person).sort()).toEqual(
      ['bbox', 'camera', 'confidence', 'frames_since_seen', 'joint_angles', 'joint_angles_low_validity', 'keypoint_scores', 'keypoints_2d', 'keypoints_3d', 'smpl', 'state', 'track_id', 'tracking_confidence'].sort(),
    );
    const src = seq.frames[100].persons[0];
    expect(person.track_id).toBe(src.track_id);
    expect(person.state).toBe(src.state);
    expect(person.confidence).toBe(src.confidence);
    expect(person.keypoints_3d).toHaveLength(45);
    expect(person.keypoints_3d[7]).toEqual(Array.from(src.keypoints_3d.subarray(21, 24)));
    expect(person.keypoints_2d).toHaveLength(45);
    expect(person.keypoints_2d[3]).toEqual(Array.from(src.keypoints_2d.subarray(6, 8)));
    expect(person.smpl!.global_orient).toEqual([0, 1, 2].map((r) => Array.from(src.smpl!.global_orient.subarray(r * 3, r * 3 + 3))));
    expect(person.smpl!.body_pose).toHaveLength(23);
    expect(person.smpl!.body_pose[22][2]).toEqual(Array.from(src.smpl!.body_pose.subarray(22 * 9 + 6, 22 * 9 + 9)));
    expect(person.smpl!.betas).toEqual(Array.from(src.smpl!.betas));
    expect(person.camera).toEqual(src.camera);
    expect(person.bbox).toEqual(src.bbox);
    expect(body.capped).toBe(false);
  });

  it('frames with nobody come with persons: []', async () => {
    const body = await ok('from=0&to=2');
    expect(body.frames).toEqual([0, 1, 2].map((i) => ({ frame_number: i, timestamp: seq.frames[i].timestamp, persons: [] })));
  });

  it('clamps `to` to the clip and caps long ranges, saying so', async () => {
    const tail = await ok('from=1290&to=5000');
    expect(tail.frames.map((f) => f.frame_number)).toEqual([1290, 1291, 1292, 1293, 1294, 1295, 1296, 1297, 1298, 1299]);
    expect(tail.capped).toBe(false);
    const all = await ok('');
    expect(all.frames).toHaveLength(MAX_FRAMES);
    expect(all).toMatchObject({ from: 0, to: MAX_FRAMES - 1, capped: true, max_frames: MAX_FRAMES, next_from: MAX_FRAMES });
    const rest = await ok(`from=${all.next_from}`);
    expect(rest).toMatchObject({ from: MAX_FRAMES, to: 1299, capped: false, next_from: null });
  });

  it('rejects bad ranges with 400 and a clear message', async () => {
    for (const [q, msg] of [
      ['from=-1', /from must be a whole frame number/],
      ['from=abc', /from must be a whole frame number/],
      ['to=1.5', /to must be a whole frame number/],
      ['from=10&to=5', /from \(10\) must not be after to \(5\)/],
      ['from=1300', /from=1300 is past the last frame \(1299/],
      ['mesh=yes', /mesh must be 1 or 0/],
    ] as const) {
      const res = await get(clipId, q);
      expect(res.status, q).toBe(400);
      expect((res.body as { error: string }).error).toMatch(msg);
    }
  });

  it('404 for an unknown or malformed clip id, 409 while no frame is final yet or the clip is queued', async () => {
    expect((await get('0123456789abcdef01234567', '')).status).toBe(404);
    expect((await get('nope', '')).status).toBe(404);
    const processing = await insertClip(db, { status: 'processing' });
    const res = await get(processing, '');
    expect(res).toEqual({ status: 409, body: { error: 'clip is processing and no frame is final yet: ask again after the next `frames` event', final_frames: 0 } });
    const queued = await insertClip(db, { status: 'queued' });
    expect(await get(queued, '')).toEqual({ status: 409, body: { error: 'clip is queued: frames exist while it is processing (the final ones so far) and when it is done' } });
  });

  it('410 when stored frames are gone (expired), never a silent gap', async () => {
    const gone = await insertClip(db);
    await saveSequence(gone, syntheticSequence({ frames: 50, tracks: 1, seed: 4 }), { db });
    await db.collection('frames').deleteMany({ clipId: new ObjectId(gone), frame: { $in: [20, 21] } });
    expect((await get(gone, 'from=0&to=19')).status).toBe(200);
    const res = await get(gone, 'from=10&to=30');
    expect(res.status).toBe(410);
    expect((res.body as { error: string }).error).toMatch(/2 of frames 10\.\.30 are no longer stored/);
  });

  it('mesh=1 without a body model: 422 naming the path', async () => {
    process.env.SMPL_MODEL_PATH = path.join(os.tmpdir(), 'no-such-dir', 'SMPL_NEUTRAL.pkl');
    resetConfigForTests();
    const res = await get(clipId, 'from=100&to=100&mesh=1');
    expect(res.status).toBe(422);
    expect((res.body as { error: string }).error).toBe(`mesh=1 needs the SMPL body model at ${process.env.SMPL_MODEL_PATH}`);
  });

  it('mesh=1 with the generated stand-in body model: 6890 camera-space vertices per person with SMPL', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'frames-smpl-'));
    try {
      execFileSync('/usr/bin/python3', ['scripts/fixtures/make_smpl_standin.py', dir], { stdio: 'pipe' });
      const model = fs.readdirSync(dir).find((f) => f === 'SMPL_NEUTRAL.pkl');
      expect(model).toBeDefined();
      process.env.SMPL_MODEL_PATH = path.join(dir, model!);
      resetConfigForTests();
      const body = await ok('from=100&to=5000&mesh=1');
      expect(body.frames).toHaveLength(MAX_MESH_FRAMES);
      expect(body).toMatchObject({ capped: true, max_frames: MAX_MESH_FRAMES });
      const person = body.frames[0].persons[0];
      const src = seq.frames[100].persons[0];
      expect(person.mesh_vertices).toHaveLength(6890);
      // camera space: around the camera translation (tens of metres deep), a body-sized extent
      const zs = person.mesh_vertices!.map((v) => v[2]);
      const mean = zs.reduce((a, b) => a + b, 0) / zs.length;
      expect(Math.abs(mean - src.camera!.tz)).toBeLessThan(1);
      const ys = person.mesh_vertices!.map((v) => v[1]);
      expect(Math.max(...ys) - Math.min(...ys)).toBeGreaterThan(1);
      expect(Math.max(...ys) - Math.min(...ys)).toBeLessThan(2.5);
      // exactly the forward pass of the stored parameters, moved by the camera translation
      const evaluator = new SmplEvaluator(await loadSmplModel(process.env.SMPL_MODEL_PATH!));
      const { vertices } = evaluator.allocateOutputs();
      evaluator.forward(src.smpl!, vertices);
      for (const i of [0, 1234, 6889]) {
        expect(person.mesh_vertices![i][0]).toBeCloseTo(vertices[i * 3] + src.camera!.tx, 5);
        expect(person.mesh_vertices![i][1]).toBeCloseTo(vertices[i * 3 + 1] + src.camera!.ty, 5);
        expect(person.mesh_vertices![i][2]).toBeCloseTo(vertices[i * 3 + 2] + src.camera!.tz, 5);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the route handler answers with the same JSON and status codes', async () => {
    const appDb = await getDb(); // the route uses the product's database
    const id = await insertClip(appDb);
    try {
      await saveSequence(id, syntheticSequence({ frames: 30, tracks: 2, seed: 2 }), { db: appDb });
      const user = await testUser(); // the file's account (admin of its database): the route needs a caller
      const call = (q: string) => GET(signedIn(new Request(`http://localhost/api/clips/${id}/frames${q}`), user), { params: Promise.resolve({ id }) });
      const res = await call('?from=20&to=22');
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/application\/json/);
      const body = (await res.json()) as FramesBody;
      expect(body).toMatchObject({ total_frames: 30, from: 20, to: 22, capped: false });
      expect(body.frames.map((f) => f.persons.length)).toEqual([2, 2, 2]);
      const bad = await call('?from=12&to=10');
      expect(bad.status).toBe(400);
      expect(await bad.json()).toEqual({ error: 'from (12) must not be after to (10)' });
    } finally {
      await deleteFrames(id, { db: appDb });
      await appDb.collection('clips').deleteOne({ _id: new ObjectId(id) });
    }
  });
});
