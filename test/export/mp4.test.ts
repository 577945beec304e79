import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GET } from '../../app/api/clips/[id]/export/route';
import { resetConfigForTests } from '../../lib/config';
import { closeDb, getDb } from '../../lib/db';
import { parseExportQuery } from '../../lib/export';
import { closeRenderQueue, exportsPrefix, renderKey, renderMp4Job, renderQueue, resultVersion, writeScripts } from '../../lib/export/mp4';
import { overlayScript, personPixels } from '../../lib/export/mp4-overlay';
import { probeTimeline, renderOverlayVideo, tableExpression } from '../../lib/export/mp4-render';
import { openExportSource } from '../../lib/export/source';
import { removeClip } from '../../lib/clips/service';
import { loadSmplModel } from '../../lib/smpl/load';
import { SmplEvaluator } from '../../lib/smpl/forward';
import { projectPoints } from '../../lib/viewer/projection';
import { jointSet } from '../../lib/pose/joints';
import { standinFiles } from '../smpl/fixture';
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

/**
 * The mesh silhouette: with the SMPL model (the generated stand-in, in the real file format) and a
 * PHALP-results clip, pixels inside the projected mesh but away from every bone, joint and text are
 * tinted towards the athlete's colour; held frames less; without the model the same pixels are the plain
 * video. "Inside" is decided here independently of the renderer's tracing: the SMPL forward pass
 * (checked against numpy in test/smpl) projected with the player's camera (lib/viewer/projection.ts), every
 * triangle filled at full resolution, eroded by 6 px so the outline's approximation cannot matter.
 */
describe('format=mp4 with a body model: the mesh silhouette under the skeleton', () => {
  const FROM = 18;
  const TO = 21; // athlete 1: 18-19 detected, 20-21 held
  const query = `format=mp4&from=${FROM}&to=${TO}&tracks=1`;

  function withModel(file: string) {
    process.env.SMPL_MODEL_PATH = file;
    resetConfigForTests();
  }
  afterAll(() => {
    delete process.env.SMPL_MODEL_PATH;
    resetConfigForTests();
  });

  /** Pixels (x, y) deep inside athlete 1's projected mesh at frame f and at least 14 px from its skeleton and texts. */
  async function silhouetteOnlyPixels(f: number): Promise<[number, number][]> {
    const model = await loadSmplModel(standinFiles().pkl);
    const ev = new SmplEvaluator(model);
    const { vertices } = ev.allocateOutputs();
    const p = seq.frames[f].persons.find((x) => x.track_id === 1)!;
    ev.forward(p.smpl!, vertices);
    const uv = new Float64Array((vertices.length / 3) * 2);
    projectPoints(vertices, p.camera!, seq.intrinsics!, uv);
    const inside = new Uint8Array(W * H);
    const F = model.faces;
    for (let t = 0; t < F.length; t += 3) {
      const [a, b, c] = [2 * F[t], 2 * F[t + 1], 2 * F[t + 2]];
      const xs = [uv[a], uv[b], uv[c]], ys = [uv[a + 1], uv[b + 1], uv[c + 1]];
      const cross = (xs[1] - xs[0]) * (ys[2] - ys[0]) - (ys[1] - ys[0]) * (xs[2] - xs[0]);
      if (!Number.isFinite(cross) || cross === 0) continue;
      for (let y = Math.max(0, Math.floor(Math.min(...ys))); y <= Math.min(H - 1, Math.ceil(Math.max(...ys))); y++) {
        for (let x = Math.max(0, Math.floor(Math.min(...xs))); x <= Math.min(W - 1, Math.ceil(Math.max(...xs))); x++) {
          let ok = true;
          for (let e = 0; e < 3 && ok; e++) {
            const [x1, y1, x2, y2] = [xs[e], ys[e], xs[(e + 1) % 3], ys[(e + 1) % 3]];
            ok = Math.sign(cross) * ((x2 - x1) * (y - y1) - (y2 - y1) * (x - x1)) >= 0;
          }
          if (ok) inside[y * W + x] = 1;
        }
      }
    }
    const joints = personPixels(p, seq, new Float64Array(seq.joint_names.length * 2));
    const bones = jointSet(seq.joint_set).bones;
    const segDist = (x: number, y: number, ax: number, ay: number, bx: number, by: number) => {
      const dx = bx - ax, dy = by - ay;
      const t = Math.max(0, Math.min(1, ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy || 1)));
      return Math.hypot(x - ax - t * dx, y - ay - t * dy);
    };
    const out: [number, number][] = [];
    for (let y = 10; y < H - 10; y += 12) {
      for (let x = 10; x < W - 10; x += 12) {
        if (y < 90 && x < 700) continue; // the frame/time readout
        if (Math.abs(y - p.bbox[1]) < 40) continue; // the athlete's label above the box
        let deep = true;
        for (let dy = -6; dy <= 6 && deep; dy++) for (let dx = -6; dx <= 6 && deep; dx++) deep = inside[(y + dy) * W + x + dx] === 1;
        if (!deep) continue;
        if (bones.some(([a, b]) => segDist(x, y, joints[2 * a], joints[2 * a + 1], joints[2 * b], joints[2 * b + 1]) < 14)) continue;
        out.push([x, y]);
      }
    }
    return out;
  }

  /** For each pixel: how far the render moved it towards the athlete's colour, as a fraction of the way (plain -> colour). */
  function tint(drawn: Buffer, plain: Buffer, pixels: [number, number][]): { along: number; across: number }[] {
    const want = hexToRgb(trackColor(1));
    return pixels
      .map(([x, y]) => {
        const a = pixel(plain, x, y), d = pixel(drawn, x, y);
        const e = [want[0] - a[0], want[1] - a[1], want[2] - a[2]];
        const m = [d[0] - a[0], d[1] - a[1], d[2] - a[2]];
        const ee = e[0] * e[0] + e[1] * e[1] + e[2] * e[2];
        const along = (m[0] * e[0] + m[1] * e[1] + m[2] * e[2]) / ee;
        const across = Math.hypot(m[0] - along * e[0], m[1] - along * e[1], m[2] - along * e[2]);
        return { along, across, far: Math.sqrt(ee) };
      })
      .filter((t) => t.far > 120); // only where the athlete's colour is far from the picture's
  }
  const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];

  let detectedPixels: [number, number][];
  let heldPixels: [number, number][];
  let plainDetected: Buffer;
  let plainHeld: Buffer;

  beforeAll(async () => {
    detectedPixels = await silhouetteOnlyPixels(FROM);
    heldPixels = await silhouetteOnlyPixels(TO);
    plainDetected = frameRgb(playable, FROM);
    plainHeld = frameRgb(playable, TO);
  }, 60_000);

  it('the test clip has SMPL parameters, a camera and room for the check', () => {
    expect(seq.frames[FROM].persons.find((p) => p.track_id === 1)?.state).toBe('detected');
    expect(seq.frames[TO].persons.find((p) => p.track_id === 1)?.state).toBe('held');
    expect(detectedPixels.length).toBeGreaterThan(30);
    expect(heldPixels.length).toBeGreaterThan(30);
  });

  it('without the model file: skeleton only, those pixels are the plain video', async () => {
    withModel(path.join(dir, 'no-model', 'SMPL_NEUTRAL.pkl'));
    const { res } = await untilRendered(query);
    expect(res.status).toBe(200);
    const file = await save(res, 'no-model.mp4');
    const t = tint(frameRgb(file, 0), plainDetected, detectedPixels);
    expect(t.length).toBeGreaterThan(20);
    expect(Math.abs(median(t.map((x) => x.along)))).toBeLessThan(0.06);
  });

  it('with the model: the silhouette in the athlete\'s colour at the player\'s opacity, fainter on held frames', async () => {
    withModel(standinFiles().pkl);
    const { res } = await untilRendered(query);
    expect(res.status).toBe(200);
    const file = await save(res, 'silhouette.mp4');
    expect(ffprobeFrames(file)).toHaveLength(TO - FROM + 1);
    // detected: moved about 0.28 of the way to the colour (the player's mesh opacity), in its direction
    const det = tint(frameRgb(file, 0), plainDetected, detectedPixels);
    expect(det.length).toBeGreaterThan(20);
    const along = median(det.map((x) => x.along));
    expect(along).toBeGreaterThan(0.18);
    expect(along).toBeLessThan(0.4);
    expect(det.filter((x) => x.along > 0.1).length / det.length).toBeGreaterThan(0.9);
    // held: 0.3 of that
    const held = tint(frameRgb(file, TO - FROM), plainHeld, heldPixels);
    const heldAlong = median(held.map((x) => x.along));
    expect(heldAlong).toBeGreaterThan(0.03);
    expect(heldAlong).toBeLessThan(along * 0.6);
  });

  it('a CPU-runner clip (no SMPL) renders as before with the model present: skeleton only, no silhouette key', async () => {
    withModel(standinFiles().pkl);
    const cpu = { ...seq, runner: 'cpu' as const, intrinsics: null, frames: seq.frames.map((f) => ({ ...f, persons: f.persons.map((p) => ({ ...p, smpl: null, camera: null })) })) };
    const id = await storeClip(cpu, { ownerId: user.actor.userId, finishedAt: new Date('2026-11-30T10:00:00Z'), hasPlayableCopy: true });
    const src = await openExportSource(id, { from: FROM, to: TO, tracks: [1] });
    expect(src.hasSmpl).toBe(false);
    await blobStore().putFile(clipKeys(id).playable, playable, { contentType: 'video/mp4' });
    const first = await GET(asUser(user, `/api/clips/${id}/export?${query}`), params({ id }));
    expect(first.status).toBe(202);
    const job = (await renderQueue().getJobs(['waiting', 'active', 'completed'])).find((j) => j.data.clipId === id)!;
    expect(job.data.bodyModel).toBe(false);
    let res: Response;
    for (const until = Date.now() + 60_000; ; ) {
      res = await GET(asUser(user, `/api/clips/${id}/export?${query}`), params({ id }));
      if (res.status !== 202 || Date.now() > until) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(res.status).toBe(200);
    const t = tint(frameRgb(await save(res, 'cpu.mp4'), 0), plainDetected, detectedPixels);
    expect(Math.abs(median(t.map((x) => x.along)))).toBeLessThan(0.06);
  });
});

describe('format=mp4: a render never outlives its clip or its results', () => {
  async function freshClip(): Promise<string> {
    const id = await storeClip(seq, { ownerId: user.actor.userId, finishedAt: new Date('2026-11-30T10:00:00Z'), hasPlayableCopy: true });
    await blobStore().putFile(clipKeys(id).playable, playable, { contentType: 'video/mp4' });
    return id;
  }

  /** Runs `during` just before the render stores its file (then the real store's putFile stores it). */
  async function renderWith(id: string, during: () => Promise<void>) {
    const db = await getDb();
    const clip = (await db.collection('clips').findOne({ _id: new ObjectId(id) }))!;
    const version = resultVersion(clip as never);
    const src = await openExportSource(id, { from: 5, to: 9, tracks: [1] });
    const { key } = renderKey(id, version, src, []);
    const store = blobStore();
    const put = store.putFile;
    store.putFile = async function (this: typeof store, ...args: Parameters<typeof put>) {
      if (args[0] === key) {
        store.putFile = put; // once: `during` may store files itself
        await during();
      }
      return put.apply(this, args);
    };
    try {
      return { key, version, result: await renderMp4Job({ clipId: id, version, key, options: { from: 5, to: 9, tracks: [1], smooth: false, angles: [] } }) };
    } finally {
      store.putFile = put;
    }
  }

  it('deleted while it renders (its blobs already gone when the file is stored): the file is removed', async () => {
    const id = await freshClip();
    const { key, result } = await renderWith(id, () => removeClip(id));
    expect(result.stored).toBe(false);
    expect(await blobStore().stat(key)).toBeNull();
    expect(await blobStore().list(exportsPrefix(id))).toEqual([]);
    expect(await blobStore().list(clipKeys(id).prefix)).toEqual([]);
  });

  it('its results replaced while it renders: the stale file is removed, the newer result\'s render kept', async () => {
    const id = await freshClip();
    const newer = `${exportsPrefix(id)}psq1-newer-render.mp4`;
    const { key, result } = await renderWith(id, async () => {
      await (await getDb()).collection('clips').updateOne({ _id: new ObjectId(id) }, { $set: { finishedAt: new Date('2026-11-30T12:00:00Z') } });
      await blobStore().putFile(newer, playable, { contentType: 'video/mp4' });
    });
    expect(result.stored).toBe(false);
    expect(await blobStore().stat(key)).toBeNull();
    expect((await blobStore().list(exportsPrefix(id))).map((b) => b.key)).toEqual([newer]);
  });

  it('unchanged: the file is kept (the check can pass)', async () => {
    const id = await freshClip();
    const { key, result } = await renderWith(id, async () => {});
    expect(result.stored).toBe(true);
    expect(await blobStore().stat(key)).not.toBeNull();
  });

  it('deleting a clip removes the renders already stored', async () => {
    const id = await freshClip();
    const { key } = await renderWith(id, async () => {});
    expect(await blobStore().stat(key)).not.toBeNull();
    await removeClip(id);
    expect(await blobStore().list(exportsPrefix(id))).toEqual([]);
  });
});
