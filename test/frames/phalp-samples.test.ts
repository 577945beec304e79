import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { BSON, ObjectId, type Db } from 'mongodb';
import { framesResponse } from '../../lib/frames/api';
import { encodeFrame, encodePerson } from '../../lib/frames/codec';
import { ensureFrameIndexes, loadSequence, saveSequence } from '../../lib/frames/repo';
import { readPhalpResults } from '../../lib/phalp';
import { insertClip, openTestDb } from './db';

/** Real PHALP results (../shared/samples, read by path) through the reader, the store and the API. */
const SAMPLES = path.resolve(import.meta.dirname, '../../../shared/samples/phalp');

let db: Db;
let drop: () => Promise<void>;
beforeAll(async () => {
  ({ db, drop } = await openTestDb('frames_phalp'));
  await ensureFrameIndexes(db);
});
afterAll(async () => drop?.());

describe('real PHALP results in the frame store', () => {
  for (const file of ['walk_8.pkl', 'seated_60fps.pkl', 'poses_tiny.pkl']) {
    it(`${file}: stored and loaded back identical`, async () => {
      const seq = await readPhalpResults(path.join(SAMPLES, file));
      const clipId = await insertClip(db);
      const res = await saveSequence(clipId, seq, { db });
      expect(res.frames).toBe(seq.frame_count);
      expect(await loadSequence(clipId, { db })).toEqual(seq);
    });
  }

  it('walk_8.pkl: a person is at most 2 KB of BSON (+ ~90 B per frame document); empty and held frames served as such', async () => {
    const seq = await readPhalpResults(path.join(SAMPLES, 'walk_8.pkl'));
    const id = new ObjectId();
    const withPersons = seq.frames.filter((f) => f.persons.length > 0);
    const bytes = withPersons.reduce((n, f) => n + BSON.calculateObjectSize({ _id: new ObjectId(), ...encodeFrame(id, f) }), 0);
    expect(Math.max(...withPersons.map((f) => BSON.calculateObjectSize(encodePerson(f.persons[0]))))).toBeLessThanOrEqual(2048);
    expect(bytes / withPersons.length).toBeLessThanOrEqual(2048 + 100); // one person per frame: + the frame document's own ~90 B
    const clipId = await insertClip(db);
    await saveSequence(clipId, seq, { db });
    const res = await framesResponse(clipId, new URLSearchParams('from=0&to=103'), { db });
    expect(res.status).toBe(200);
    if (res.status !== 200) return;
    expect(res.body.total_frames).toBe(104);
    // the track is confirmed from frame 8 on (SOURCES.md counts these frames from 1): before it, nobody
    expect(res.body.frames.slice(0, 8).map((f) => f.persons)).toEqual(Array(8).fill([]));
    expect(res.body.frames[8].persons[0].state).toBe('detected');
    expect(res.body.frames[50].persons[0].state).toBe('detected');
    expect(res.body.frames.slice(99).map((f) => f.persons[0]?.state)).toEqual(['held', 'held', 'held', 'held', 'held']);
    expect(res.body.frames[50].persons[0].keypoints_2d).toHaveLength(45);
  });
});
