import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ObjectId } from 'mongodb';
import { closeDb, getDb } from '../../lib/db';
import { framesResponse, type FrameJson } from '../../lib/frames/api';
import { ExportError, exportClip, parseExportQuery } from '../../lib/export';
import { exportBaseName, safeStem } from '../../lib/export/naming';
import { angleNames } from '../../lib/pose/angles';
import { smoothSequence } from '../../lib/pose/smooth';
import type { PoseSequence } from '../../lib/pose/types';
import { blazeposeSequence, phalpSample, python, readAll, storeClip, tmpFile, twoAthletes } from './fixtures';

/**
 * JSON and CSV exports read back by independent readers and compared with the frames API
 * (lib/frames/api.ts framesResponse), on real PHALP results and synthetic multi-person sequences.
 */

const clips: Record<string, { id: string; seq: PoseSequence }> = {};
beforeAll(async () => {
  for (const [name, seq] of [
    ['walk', await phalpSample('walk_8.pkl')],
    ['seated', await phalpSample('seated_60fps.pkl')],
    ['two', twoAthletes(90)],
    ['blaze', blazeposeSequence(40)],
  ] as const) {
    clips[name] = { id: await storeClip(seq), seq };
  }
});
afterAll(async () => closeDb());

async function apiFrames(id: string, from: number, to: number, extra = ''): Promise<FrameJson[]> {
  const res = await framesResponse(id, new URLSearchParams(`from=${from}&to=${to}${extra}`));
  if (res.status !== 200) throw new Error(`frames API answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body.frames;
}

/** The export's frames equal the frames API's, field for field (joint angles included). */
function expectSameFrames(exported: FrameJson[], api: FrameJson[]): void {
  expect(exported.length).toBe(api.length);
  expect(exported).toEqual(api);
}

describe('query parsing', () => {
  it('reads every option and refuses bad input with a clear message', () => {
    expect(parseExportQuery(new URLSearchParams('format=CSV&from=3&to=9&tracks=1,3&smooth=1'))).toEqual({ format: 'csv', from: 3, to: 9, tracks: [1, 3], smooth: true });
    expect(parseExportQuery(new URLSearchParams('format=glb'))).toEqual({ format: 'glb', from: null, to: null, tracks: null, smooth: false });
    const bad: [string, RegExp][] = [
      ['', /format is required/],
      ['format=fbx', /format must be one of json, csv, bvh, glb/],
      ['format=json&from=-1', /from must be a whole frame number/],
      ['format=json&from=9&to=3', /from \(9\) must not be after to \(3\)/],
      ['format=json&tracks=1;2', /tracks must be athlete numbers/],
      ['format=json&smooth=yes', /smooth must be 1 or 0/],
    ];
    for (const [q, msg] of bad) {
      let err: unknown;
      try {
        parseExportQuery(new URLSearchParams(q));
      } catch (e) {
        err = e;
      }
      expect(err, q).toBeInstanceOf(ExportError);
      expect((err as ExportError).status).toBe(400);
      expect((err as ExportError).message).toMatch(msg);
    }
  });
});

describe('file names', () => {
  it('say clip, range and athletes; sanitised; the upload name hidden when asked', () => {
    expect(safeStem('Sprint à 100m, take 2.mp4', 'abc')).toBe('Sprint-a-100m-take-2');
    expect(safeStem('../../etc/passwd', 'abc')).toBe('etc-passwd');
    expect(safeStem('"; rm -rf.mov', 'abc')).toBe('rm-rf');
    expect(safeStem('日本語.mp4', 'abc')).toBe('clip-abc');
    expect(exportBaseName({ clipId: 'abc', filename: 'run.mp4', from: 0, to: 99, tracks: [1, 3], smoothed: true })).toBe('run_frames-0-99_athletes-1-3_smoothed');
    expect(exportBaseName({ clipId: 'abc', filename: null, from: 5, to: 9, tracks: [2], smoothed: false })).toBe('clip-abc_frames-5-9_athlete-2');
  });

  it('the export carries them (share viewers get clip-<id>)', async () => {
    const { id } = clips.two;
    const owner = await exportClip(id, parseExportQuery(new URLSearchParams('format=csv&from=10&to=20&tracks=2')));
    expect(owner.filename).toBe('Sprint-a-100m-take-2_frames-10-20_athlete-2.csv');
    await readAll(owner.body);
    const shared = await exportClip(id, parseExportQuery(new URLSearchParams('format=json')), { hideFilename: true });
    expect(shared.filename).toBe(`clip-${id}_frames-0-89_athletes-1-2.json`);
    expect(JSON.stringify(JSON.parse((await readAll(shared.body)).toString()))).not.toContain('Sprint');
  });
});

describe('errors before any byte is sent', () => {
  const status = async (id: string, q: string) => {
    try {
      await exportClip(id, parseExportQuery(new URLSearchParams(q)));
      return 200;
    } catch (err) {
      if (err instanceof ExportError) return `${err.status} ${err.message}`;
      throw err;
    }
  };
  it('missing clip 404, unfinished clip 409, range past the end 400, unknown athlete 400, nobody in range 422', async () => {
    expect(await status(new ObjectId().toHexString(), 'format=json')).toMatch(/^404 no clip/);
    expect(await status('not-an-id', 'format=json')).toMatch(/^404/);
    const db = await getDb();
    const pending = new ObjectId();
    await db.collection('clips').insertOne({ _id: pending, filename: 'x.mp4', status: 'processing' });
    expect(await status(pending.toHexString(), 'format=csv')).toMatch(/^409 clip is processing/);
    expect(await status(clips.walk.id, 'format=json&from=104')).toMatch(/^400 from=104 is past the last frame \(103/);
    expect(await status(clips.two.id, 'format=csv&tracks=1,7')).toMatch(/^400 athlete 7 not in frames 0\.\.89 \(present: 1, 2\)/);
    expect(await status(clips.two.id, 'format=json&from=5&to=10&tracks=2')).toMatch(/^400 athlete 2 not in frames 5\.\.10 \(present: 1\)/);
    expect(await status(clips.walk.id, 'format=bvh&from=0&to=5')).toMatch(/^422 nobody is present in frames 0\.\.5/);
  });

  it('frames that expired: 410', async () => {
    const seq = twoAthletes(20);
    const id = await storeClip(seq);
    await (await getDb()).collection('frames').deleteOne({ clipId: new ObjectId(id), frame: 12 });
    expect(await status(id, 'format=csv')).toMatch(/^410 1 of frames 0\.\.19 are no longer stored/);
    expect(await status(id, 'format=csv&to=11')).toBe(200);
  });
});

describe('JSON', () => {
  for (const name of ['walk', 'seated', 'two', 'blaze']) {
    it(`${name}: the whole clip equals the frames API's frames, field for field`, async () => {
      const { id, seq } = clips[name];
      const file = await exportClip(id, parseExportQuery(new URLSearchParams('format=json')));
      expect(file.contentType).toMatch(/^application\/json/);
      const doc = JSON.parse((await readAll(file.body)).toString('utf8'));
      expect(doc.total_frames).toBe(seq.frame_count);
      expect(doc.joint_names).toEqual(seq.joint_names);
      expect(doc.fps).toBe(seq.fps);
      expect([doc.from, doc.to]).toEqual([0, seq.frame_count - 1]);
      expect(doc.smoothed).toBe(false);
      expectSameFrames(doc.frames, await apiFrames(id, 0, seq.frame_count - 1));
      // angles are really there where the body is visible
      const someone = doc.frames.find((f: FrameJson) => f.persons.length > 0).persons[0];
      expect(Object.keys(someone.joint_angles)).toEqual(angleNames());
    });
  }

  it('range and athletes: only frames from..to, only the chosen athlete', async () => {
    const { id } = clips.two;
    const doc = JSON.parse((await readAll((await exportClip(id, parseExportQuery(new URLSearchParams('format=json&from=20&to=44&tracks=2')))).body)).toString());
    expect(doc.frames.map((f: FrameJson) => f.frame_number)).toEqual(Array.from({ length: 25 }, (_, i) => 20 + i));
    expect(doc.tracks).toEqual([2]);
    const api = (await apiFrames(id, 20, 44)).map((f) => ({ ...f, persons: f.persons.filter((p) => p.track_id === 2) }));
    expectSameFrames(doc.frames, api);
    expect(doc.frames.every((f: FrameJson) => f.persons.length === 1 && f.persons[0].track_id === 2)).toBe(true);
  });

  it('smooth=1: the frames API\'s smoothed values (lib/pose/smooth.ts), flagged as such', async () => {
    const { id, seq } = clips.walk;
    const doc = JSON.parse((await readAll((await exportClip(id, parseExportQuery(new URLSearchParams('format=json&from=30&to=60&smooth=1')))).body)).toString());
    expect(doc.smoothed).toBe(true);
    expectSameFrames(doc.frames, await apiFrames(id, 30, 60, '&smooth=1'));
    // the same as smoothing the whole clip, and not the raw data
    const whole = smoothSequence(seq).frames.slice(30, 61);
    doc.frames.forEach((f: FrameJson, i: number) => expect(f.persons.map((p) => p.keypoints_3d.flat())).toEqual(whole[i].persons.map((p) => Array.from(p.keypoints_3d))));
    const raw = await apiFrames(id, 30, 60);
    expect(doc.frames[10].persons[0].keypoints_3d).not.toEqual(raw[10].persons[0].keypoints_3d);
  });
});

const READ_CSV = `
import csv, json, sys
with open(sys.argv[1], newline='', encoding='utf-8') as fh:
    raw = fh.read()
rows = list(csv.reader(raw.splitlines(keepends=True), strict=True))
header, body = rows[0], rows[1:]
text = {'clip', 'state'}
def val(k, v):
    if v == '':
        return None
    return v if k in text else float(v)
print(json.dumps({'crlf': raw.count('\\r\\n') == len(rows), 'header': header,
                  'rows': [{k: val(k, v) for k, v in zip(header, r)} for r in body],
                  'widths': sorted(set(len(r) for r in body))}))
`;

describe('CSV read by Python\'s csv module', () => {
  for (const name of ['walk', 'two', 'blaze']) {
    it(`${name}: one row per person-frame, every value equal to the frames API's`, async () => {
      const { id, seq } = clips[name];
      const file = await exportClip(id, parseExportQuery(new URLSearchParams('format=csv')));
      expect(file.contentType).toMatch(/^text\/csv; charset=utf-8/);
      const path = tmpFile(file.filename, await readAll(file.body));
      const csv = python<{ crlf: boolean; header: string[]; rows: Record<string, number | string | null>[]; widths: number[] }>(READ_CSV, [path]);
      const api = await apiFrames(id, 0, seq.frame_count - 1);
      const personFrames = api.flatMap((f) => f.persons.map((p) => ({ f, p })));
      expect(csv.crlf).toBe(true);
      expect(csv.widths).toEqual([csv.header.length]);
      expect(csv.rows.length).toBe(personFrames.length);
      const J = seq.joint_names.length;
      expect(csv.header.length).toBe(15 + J * 2 + J * 3 + J + angleNames().length * 2);
      personFrames.forEach(({ f, p }, i) => {
        const r = csv.rows[i];
        expect(r.clip).toBe('Sprint-a-100m-take-2');
        expect([r.frame, r.time_s, r.track, r.state]).toEqual([f.frame_number, f.timestamp, p.track_id, p.state]);
        expect([r.confidence, r.tracking_confidence, r.frames_since_seen]).toEqual([p.confidence, p.tracking_confidence, p.frames_since_seen]);
        expect([r.bbox_x_px, r.bbox_y_px, r.bbox_w_px, r.bbox_h_px]).toEqual(p.bbox);
        expect([r.camera_tx_m, r.camera_ty_m, r.camera_tz_m]).toEqual(p.camera ? [p.camera.tx, p.camera.ty, p.camera.tz] : [null, null, null]);
        seq.joint_names.forEach((n, j) => {
          expect([r[`${n}_x_px`], r[`${n}_y_px`]]).toEqual(p.keypoints_2d[j]);
          expect([r[`${n}_X_m`], r[`${n}_Y_m`], r[`${n}_Z_m`]]).toEqual(p.keypoints_3d[j]);
          expect(r[`${n}_score`]).toBe(p.keypoint_scores ? p.keypoint_scores[j] : null);
        });
        for (const a of angleNames()) {
          expect(r[`angle_${a}_deg`]).toBe(p.joint_angles![a]);
          expect(r[`angle_${a}_low_validity`]).toBe(p.joint_angles_low_validity![a] ? 1 : 0);
        }
      });
    });
  }

  it('quotes fields that need it (RFC 4180)', async () => {
    const { csvField } = await import('../../lib/export/csv');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('line\nbreak')).toBe('"line\nbreak"');
    expect(csvField(null)).toBe('');
    expect(csvField(Number.NaN)).toBe('');
    expect(csvField(0.1)).toBe('0.1');
  });
});
