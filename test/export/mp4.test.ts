import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GET } from '../../app/api/clips/[id]/export/route';
import { resetConfigForTests } from '../../lib/config';
import { closeDb, getDb } from '../../lib/db';
import { parseExportQuery } from '../../lib/export';
import { closeRenderQueue, renderQueue, writeScripts } from '../../lib/export/mp4';
import { overlayScript, personPixels } from '../../lib/export/mp4-overlay';
import { probeTimeline, renderOverlayVideo, tableExpression } from '../../lib/export/mp4-render';
import { createLogger } from '../../lib/log';
import { closeSharedRedis } from '../../lib/redis';
import { blobStore, clipKeys } from '../../lib/storage';
import { makePlayable } from '../../lib/video/playable';
import { hexToRgb, trackColor } from '../../lib/viewer/colors';
import { ObjectId } from 'mongodb';
import type { PoseSequence } from '../../lib/pose/types';
import { startRenderWorker } from '../../worker/render-jobs';
import { syntheticSequence } from '../frames/synthetic-sequence';
import { testTempDir } from '../setup/test-services';
import { asUser, params, testUser, type TestUser } from '../auth/helpers';
import { storeClip } from './fixtures';

/**
 * format=mp4 end to end: the route (202 with progress, then 200), the render queue and a real render
 * worker in this process (real Redis, MongoDB, ffmpeg), the file read back with ffprobe and ffmpeg:
 * frame count and per-frame timestamps equal the playable copy's (a variable-frame-rate clip with audio),
 * the overlay's pixels are there, audio kept, cache hit, re-render after the result changes.
 */

const W = 1280;
const H = 720;
const N = 45;

let user: TestUser;
let dir: string;
let playable: string;
let seq: PoseSequence;
let clipId: string;
let worker: { close(): Promise<void> };

function ffprobeFrames(file: string): number[] {
  const out = execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'frame=pts', '-of', 'json', file]).toString();
  return (JSON.parse(out).frames as { pts: number }[]).map((f) => f.pts);
}

function streams(file: string): { codec_type: string; codec_name: string; profile?: string; pix_fmt?: string }[] {
  return JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_type,codec_name,profile,pix_fmt', '-of', 'json', file]).toString()).streams;
}

/** One decoded frame as RGB bytes. */
function frameRgb(file: string, index: number): Buffer {
  return execFileSync('ffmpeg', ['-v', 'error', '-i', file, '-vf', `select=eq(n\\,${index})`, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], { maxBuffer: 64 * 1024 * 1024 });
}

function pixel(buf: Buffer, x: number, y: number): [number, number, number] {
  const i = (Math.round(y) * W + Math.round(x)) * 3;
  return [buf[i], buf[i + 1], buf[i + 2]];
}

const dist = (a: number[], b: number[]) => Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);

const get = (query: string) => GET(asUser(user, `/api/clips/${clipId}/export?${query}`), params({ id: clipId }));

/** Asks until the render is done; returns the 200 response and the 202 bodies seen on the way. */
async function untilRendered(query: string, timeoutMs = 90_000): Promise<{ res: Response; pending: Record<string, unknown>[] }> {
  const pending: Record<string, unknown>[] = [];
  const until = Date.now() + timeoutMs;
  for (;;) {
    const res = await get(query);
    if (res.status !== 202) return { res, pending };
    pending.push(await res.json());
    if (Date.now() > until) throw new Error(`still rendering after ${timeoutMs} ms: ${JSON.stringify(pending.at(-1))}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function save(res: Response, name: string): Promise<string> {
  const file = path.join(dir, name);
  fs.writeFileSync(file, Buffer.from(await res.arrayBuffer()));
  return file;
}

beforeAll(async () => {
  dir = testTempDir('mp4-export');
  // a variable-frame-rate source with audio: every 4th frame comes 10 ms late
  const source = path.join(dir, 'source.mp4');
  execFileSync('ffmpeg', [
    '-v', 'error', '-f', 'lavfi', '-i', `testsrc2=size=${W}x${H}:rate=30`, '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
    '-vf', 'settb=1/90000,setpts=N/30/TB+if(eq(mod(N\\,4)\\,3)\\,0.01/TB\\,0)', '-frames:v', String(N), '-t', String(N / 30),
    '-fps_mode', 'passthrough', '-enc_time_base:v', '1/90000', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-y', source,
  ]);
  playable = path.join(dir, 'playable.mp4');
  await makePlayable(source, playable, { preset: 'ultrafast' });
  expect(ffprobeFrames(playable)).toHaveLength(N);
  user = await testUser();
  seq = syntheticSequence({ frames: N, tracks: 2, width: W, height: H, fps: 30, seed: 5, emptyFrames: 2 });
  // athlete 1 held (a stale copy) in frames 20-23, interpolated in 24-25
  for (let f = 20; f <= 25; f++) {
    const p = seq.frames[f].persons.find((x) => x.track_id === 1);
    if (p) p.state = f <= 23 ? 'held' : 'interpolated';
  }
  clipId = await storeClip(seq, { ownerId: user.actor.userId, finishedAt: new Date('2026-11-30T10:00:00Z'), updatedAt: new Date(), hasPlayableCopy: true });
  await blobStore().putFile(clipKeys(clipId).playable, playable, { contentType: 'video/mp4' });
  worker = startRenderWorker(createLogger({ test: 'mp4' }));
}, 120_000);

afterAll(async () => {
  await worker?.close();
  await closeRenderQueue();
  await closeSharedRedis();
  await closeDb();
});

describe('mp4 options', () => {
  it('angles: known names for mp4 only, each unknown one named', () => {
    expect(parseExportQuery(new URLSearchParams('format=mp4&angles=left_knee_flexion,trunk_lean')).angles).toEqual(['left_knee_flexion', 'trunk_lean']);
    expect(() => parseExportQuery(new URLSearchParams('format=mp4&angles=left_knee_flexion,knee'))).toThrow(/unknown joint angle knee/);
    expect(() => parseExportQuery(new URLSearchParams('format=csv&angles=trunk_lean'))).toThrow(/angles is an option of format=mp4 only/);
  });

  it('the timestamp table picks values[N] for every N', () => {
    const values = [0, 512, 1030, 1536, 2100, 2560, 3072];
    const expr = tableExpression(values).replace(/\\,/g, ',');
    // evaluates if(lt(N,k),a,b) the way ffmpeg does
    const evaluate = (e: string, n: number): number => {
      const m = /^if\(lt\(N,(\d+)\),(.*)\)$/.exec(e);
      if (!m) return Number(e);
      let depth = 0;
      let cut = -1;
      for (let i = 0; i < m[2].length && cut < 0; i++) {
        if (m[2][i] === '(') depth++;
        else if (m[2][i] === ')') depth--;
        else if (m[2][i] === ',' && depth === 0) cut = i;
      }
      return n < Number(m[1]) ? evaluate(m[2].slice(0, cut), n) : evaluate(m[2].slice(cut + 1), n);
    };
    for (let n = 0; n < values.length; n++) expect(evaluate(expr, n)).toBe(values[n]);
  });

  it('the script: a drawing per bone and joint, dashed and faded when not detected, the state spelled out', async () => {
    let text = '';
    for await (const c of overlayScript(seq, seq.frames, { tracks: [1, 2], angles: ['left_knee_flexion'] })) text += c;
    const heldFrame = seq.frames.findIndex((f) => f.persons.some((p) => p.state === 'held'));
    expect(heldFrame).toBeGreaterThan(0);
    expect(text).toMatch(/PlayResX: 1280\nPlayResY: 720/);
    expect(text).toMatch(/· held/);
    expect(text).toMatch(/L knee flexion \d+°/);
    // one drawing per bone: a detected athlete's bones opaque (alpha 00), one quad each; a held athlete's
    // at 0.3 opacity (alpha B3) and dashed (several quads per bone)
    const bones = text.split('\n').filter((l) => l.startsWith('Dialogue: 2,'));
    const quads = (lines: string[]) => lines.reduce((n, l) => n + l.split(/[} ]m /).length - 1, 0) / lines.length;
    const held = bones.filter((l) => l.includes('\\1a&HB3&'));
    const det = bones.filter((l) => l.includes('\\1a&H00&'));
    expect(held.length).toBeGreaterThan(0);
    expect(det.length).toBeGreaterThan(held.length);
    expect(quads(det)).toBe(1);
    expect(quads(held)).toBeGreaterThan(2);
  });
});

describe('GET /api/clips/:id/export?format=mp4', () => {
  let whole: string;

  it('202 with progress while it renders, then 200 with the file; same frames and timestamps as the playable copy; audio kept', async () => {
    const { res, pending } = await untilRendered('format=mp4');
    expect(pending.length).toBeGreaterThan(0);
    expect(['queued', 'running']).toContain(pending[0].status);
    expect(pending.every((p) => typeof p.progress === 'number' && p.format === 'mp4')).toBe(true);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('video/mp4');
    expect(res.headers.get('content-disposition')).toContain(`filename="Sprint-a-100m-take-2_frames-0-${N - 1}_athletes-1-2.mp4"`);
    whole = await save(res, 'whole.mp4');
    expect(Number(res.headers.get('content-length'))).toBe(fs.statSync(whole).size);

    expect(ffprobeFrames(whole)).toEqual(ffprobeFrames(playable));
    const s = streams(whole);
    expect(s.find((x) => x.codec_type === 'video')).toMatchObject({ codec_name: 'h264', profile: 'High', pix_fmt: 'yuv420p' });
    expect(s.find((x) => x.codec_type === 'audio')?.codec_name).toBe('aac');
    // +faststart: the index (moov) before the media (mdat)
    const head = fs.readFileSync(whole);
    expect(head.indexOf('moov')).toBeLessThan(head.indexOf('mdat'));
  });

  it('the overlay is in the picture: at a detected athlete\'s bone, the athlete\'s colour instead of the plain video', async () => {
    const f = seq.frames.findIndex((fr) => fr.persons.some((p) => p.track_id === 1 && p.state === 'detected'));
    const p = seq.frames[f].persons.find((x) => x.track_id === 1)!;
    const uv = personPixels(p, seq, new Float64Array(seq.joint_names.length * 2));
    // middle of the right thigh (RHip 9 -> RKnee 10) and the joint itself
    const [x, y] = [(uv[18] + uv[20]) / 2, (uv[19] + uv[21]) / 2];
    expect(x > 5 && x < W - 5 && y > 5 && y < H - 5).toBe(true);
    const plain = frameRgb(playable, f);
    const drawn = frameRgb(whole, f);
    const want = hexToRgb(trackColor(1));
    expect(dist(pixel(drawn, x, y), pixel(plain, x, y))).toBeGreaterThan(60);
    expect(dist(pixel(drawn, x, y), want)).toBeLessThan(70);
    // a corner far from everybody and from the readout is the plain video (within compression noise)
    expect(dist(pixel(drawn, W - 3, H - 3), pixel(plain, W - 3, H - 3))).toBeLessThan(40);
  });

  it('cache: the second request is served from the store without a render; a new result version renders again', async () => {
    const key = (await blobStore().list(`${clipKeys(clipId).prefix}exports/`))[0];
    expect(key).toBeTruthy();
    const res = await get('format=mp4');
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    const counts = await renderQueue().getJobCounts('waiting', 'active');
    expect(counts.waiting + counts.active).toBe(0);
    expect((await blobStore().stat(key.key))?.etag).toBe(key.etag);

    await (await getDb()).collection('clips').updateOne({ _id: new ObjectId(clipId) }, { $set: { finishedAt: new Date('2026-11-30T11:00:00Z') } });
    const first = await get('format=mp4');
    expect(first.status).toBe(202);
    const { res: again } = await untilRendered('format=mp4');
    expect(again.status).toBe(200);
    await again.arrayBuffer();
    const keys = (await blobStore().list(`${clipKeys(clipId).prefix}exports/`)).map((b) => b.key);
    expect(keys).toHaveLength(1); // the earlier result's render is gone
    expect(keys[0]).not.toBe(key.key);
  });

  it('a range, one athlete, angles: the range\'s frames with the playable copy\'s spacing, audio cut to it', async () => {
    const { res } = await untilRendered('format=mp4&from=10&to=30&tracks=2&angles=left_knee_flexion,right_knee_flexion');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toContain('_frames-10-30_athlete-2.mp4"');
    const file = await save(res, 'range.mp4');
    const src = ffprobeFrames(playable);
    expect(ffprobeFrames(file)).toEqual(src.slice(10, 31).map((p) => p - src[10] + src[0]));
    const audio = JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'a:0', '-show_entries', 'stream=duration', '-of', 'json', file]).toString()).streams[0];
    expect(Math.abs(Number(audio.duration) - 21 / 30)).toBeLessThan(0.06);
    // athlete 1 is not drawn: its colour is nowhere near its bone
    const f = 10 + seq.frames.slice(10, 31).findIndex((fr) => fr.persons.some((p) => p.track_id === 1 && p.state === 'detected'));
    const p1 = seq.frames[f].persons.find((x) => x.track_id === 1)!;
    const uv = personPixels(p1, seq, new Float64Array(seq.joint_names.length * 2));
    const [x, y] = [(uv[18] + uv[20]) / 2, (uv[19] + uv[21]) / 2];
    const plain = frameRgb(playable, f);
    const drawn = frameRgb(file, f - 10);
    expect(dist(pixel(drawn, x, y), pixel(plain, x, y))).toBeLessThan(40);
  });

  it('bad options answer 400 before anything is queued', async () => {
    const res = await get('format=mp4&angles=elbow');
    expect(res.status).toBe(400);
    expect((await res.json()).error).toMatch(/unknown joint angle elbow/);
    const off = await get('format=mp4&tracks=7');
    expect(off.status).toBe(400);
  });

  it('long clips: the overlay in runs of frames, each run through its own libass, gives the same frames', async () => {
    const sub = path.join(dir, 'runs');
    fs.mkdirSync(sub, { recursive: true });
    const scripts = await writeScripts(sub, overlayScript(seq, seq.frames.slice(3, 41), { tracks: [1, 2], angles: ['trunk_lean'] }), 10);
    expect(scripts).toHaveLength(4);
    const out = path.join(sub, 'runs.mp4');
    const timeline = await probeTimeline(playable, N);
    await renderOverlayVideo({ video: playable, timeline, scripts, framesPerScript: 10, from: 3, to: 40, fps: 30, graphFile: path.join(sub, 'graph.txt'), out });
    const src = ffprobeFrames(playable);
    expect(ffprobeFrames(out)).toEqual(src.slice(3, 41).map((p) => p - src[3] + src[0]));
    // in the last run: athlete 1's bone is drawn there, at that frame
    const f = 3 + 30 + seq.frames.slice(33, 41).findIndex((fr) => fr.persons.some((p) => p.track_id === 1 && p.state === 'detected'));
    const p = seq.frames[f].persons.find((x) => x.track_id === 1)!;
    const uv = personPixels(p, seq, new Float64Array(seq.joint_names.length * 2));
    const [x, y] = [(uv[18] + uv[20]) / 2, (uv[19] + uv[21]) / 2];
    expect(dist(pixel(frameRgb(out, f - 3), x, y), hexToRgb(trackColor(1)))).toBeLessThan(70);
    expect(dist(pixel(frameRgb(out, f - 3), x, y), pixel(frameRgb(playable, f), x, y))).toBeGreaterThan(60);
  });

  it('STORAGE=gridfs: the video read from GridFS, the render stored there and served from it', async () => {
    process.env.STORAGE = 'gridfs';
    resetConfigForTests();
    try {
      expect(blobStore().kind).toBe('gridfs');
      await blobStore().putFile(clipKeys(clipId).playable, playable, { contentType: 'video/mp4' });
      const { res } = await untilRendered('format=mp4&from=5&to=14&tracks=1');
      expect(res.status).toBe(200);
      const file = await save(res, 'gridfs.mp4');
      const src = ffprobeFrames(playable);
      expect(ffprobeFrames(file)).toEqual(src.slice(5, 15).map((p) => p - src[5] + src[0]));
      expect((await blobStore().list(`${clipKeys(clipId).prefix}exports/`)).map((b) => b.size)).toEqual([fs.statSync(file).size]);
    } finally {
      delete process.env.STORAGE;
      resetConfigForTests();
    }
  });
});
