import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POST as hybridRoute } from '../../app/pose/hybrid/route';
import { POST as videoRoute } from '../../app/pose/video/route';
import { GET as statusRoute } from '../../app/pose/video/status/[id]/route';
import { GET as healthRoute } from '../../app/api/pose/health/route';
import { GET as poolRoute } from '../../app/api/pose/pool-status/route';
import { GET as clipRoute } from '../../app/api/clips/[id]/route';
import { GET as healthApiRoute } from '../../app/api/health/route';
import { getClipDoc } from '../../lib/clips/repo';
import { resetConfigForTests } from '../../lib/config';
import { closeDb } from '../../lib/db';
import { closeFrameQueue } from '../../lib/pose-service/frame-queue';
import { closeQueue, listWorkers } from '../../lib/queue';
import { closeSharedRedis } from '../../lib/redis';
import { invitedCoach, makeClip } from '../auth/fixtures';
import { asUser, params, signUp, type TestUser } from '../auth/helpers';
import { PHALP_DOUBLE_DIR, SAMPLE_VIDEO, startWorker, waitFor, waitForWorkerReady, type WorkerProcess } from '../foundation/helpers';

/**
 * Contract tests of the original pose service's API (issue 11), request and response shapes from its
 * API reference (SnowboardingExplained backend/pose-service docs: "Pose Service Wrapper - API Reference")
 * and flask_wrapper_minimal_safe.py. Real MongoDB, Redis, ffmpeg and ONE real worker process (PHALP
 * played by the test double of 4D-Humans, run by the warm PHALP service, for clips; the CPU runner for
 * single frames).
 */
const PHALP_ENV = { POSE_RUNNER: 'phalp', PHALP_DIR: PHALP_DOUBLE_DIR, PHALP_PYTHON: '/usr/bin/python3', PHALP_DOUBLE_PEOPLE: '2', PHALP_MODE: 'service' };

let tmp: string;
let importDir: string;
let owner: TestUser;
let admin: TestUser;
let other: TestUser;
let worker: WorkerProcess | null = null;

const post = (user: TestUser, url: string, body: unknown) =>
  asUser(user, url, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': 'application/json' } });

async function submit(user: TestUser, video_path: unknown) {
  const res = await videoRoute(post(user, '/pose/video', { video_path }));
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function status(user: TestUser, jobId: string) {
  const res = await statusRoute(asUser(user, `/pose/video/status/${jobId}`), params({ id: jobId }));
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

/** A short clip with unique bytes (never mistaken for an earlier upload) cut from the sample video. */
function shortClip(dir: string, seconds = 1): string {
  const file = path.join(dir, `clip-${crypto.randomUUID()}.mp4`);
  execFileSync('ffmpeg', ['-v', 'error', '-i', SAMPLE_VIDEO, '-t', String(seconds), '-vf', 'scale=640:-2', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-an', '-metadata', `comment=${crypto.randomUUID()}`, file]);
  return file;
}

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pose-service-'));
  importDir = path.join(tmp, 'import');
  fs.mkdirSync(importDir);
  process.env.IMPORT_DIR = importDir;
  resetConfigForTests();
  admin = await signUp({ name: 'admin' });
  owner = await invitedCoach(admin, 'owner');
  other = await invitedCoach(admin, 'other');
}, 120_000);

afterAll(async () => {
  await worker?.stop();
  await closeFrameQueue();
  await closeQueue();
  await closeSharedRedis();
  await closeDb();
  delete process.env.IMPORT_DIR;
  resetConfigForTests();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('POST /pose/video', () => {
  it('is refused with a message while IMPORT_DIR is unset', async () => {
    delete process.env.IMPORT_DIR;
    resetConfigForTests();
    try {
      const r = await submit(owner, path.join(importDir, 'x.mp4'));
      expect(r.status).toBe(403);
      expect(r.body.error).toMatch(/IMPORT_DIR/);
    } finally {
      process.env.IMPORT_DIR = importDir;
      resetConfigForTests();
    }
  });

  it('answers 400 for a missing, relative or non-existent path and 403 for a path outside IMPORT_DIR, symlinks included', async () => {
    expect(await submit(owner, undefined)).toEqual({ status: 400, body: { error: 'Missing video_path parameter' } });
    expect((await submit(owner, 'clip.mp4')).status).toBe(400);
    const missing = await submit(owner, path.join(importDir, 'nope.mp4'));
    expect(missing).toEqual({ status: 400, body: { error: `Video file not found: ${path.join(importDir, 'nope.mp4')}` } });

    const outside = shortClip(tmp);
    const r1 = await submit(owner, outside);
    expect(r1.status).toBe(403);
    expect(String(r1.body.error)).toMatch(/inside IMPORT_DIR/);
    // ../ tricks and a link inside the folder that points out of it
    expect((await submit(owner, path.join(importDir, '..', path.basename(outside)))).status).toBe(403);
    fs.symlinkSync(outside, path.join(importDir, 'escape.mp4'));
    const r2 = await submit(owner, path.join(importDir, 'escape.mp4'));
    expect(r2.status).toBe(403);
    expect(String(r2.body.error)).toMatch(/resolves to a file outside/);
    // a folder is not a video; a file that is not a video is refused by the same checks as an upload
    fs.mkdirSync(path.join(importDir, 'sub'));
    expect((await submit(owner, path.join(importDir, 'sub'))).status).toBe(400);
    fs.writeFileSync(path.join(importDir, 'notes.mp4'), 'not a video at all');
    expect([415, 422]).toContain((await submit(owner, path.join(importDir, 'notes.mp4'))).status);
  });

  it('queues a video inside IMPORT_DIR as a clip of the caller: 202 {status: queued, job_id}; status answers queued; other coaches get 404', async () => {
    const file = shortClip(importDir);
    const r = await submit(owner, file);
    expect(r.status).toBe(202);
    expect(r.body).toMatchObject({ status: 'queued', job_id: expect.stringMatching(/^[0-9a-f]{24}$/) });
    expect(r.body.queue_position === null || typeof r.body.queue_position === 'number').toBe(true);
    const jobId = r.body.job_id as string;
    const doc = await getClipDoc(jobId);
    expect(doc?.ownerId).toBe(owner.actor.userId);
    // the import folder keeps its file; the clip owns a copy
    expect(fs.existsSync(file)).toBe(true);
    expect((await clipRoute(asUser(other, `/api/clips/${jobId}`), params({ id: jobId }))).status).toBe(404);

    const s = await status(owner, jobId);
    expect(s.status).toBe(200);
    expect(s.body).toMatchObject({ job_id: jobId, status: 'queued', video_path: file, started_at: null, completed_at: null, result: null, error: null });
    expect(typeof s.body.queued_at).toBe('number');
    expect(Math.abs(s.body.queued_at - Date.now() / 1000)).toBeLessThan(120);
    expect((await status(other, jobId)).status).toBe(404);
  });
});

describe('GET /pose/video/status/<job_id>', () => {
  it('a done job: completed, with the original per-frame JSON in result.frames', async () => {
    const id = await makeClip(owner.actor.userId, 'done');
    const s = await status(owner, id);
    expect(s.status).toBe(200);
    expect(s.body.status).toBe('completed');
    expect(typeof s.body.completed_at).toBe('number');
    const result = s.body.result;
    expect(result).toMatchObject({ status: 'success', total_frames: 12, fps: expect.any(Number), joint_names: expect.any(Array) });
    expect(result.frames).toHaveLength(12);
    result.frames.forEach((f: any, i: number) => {
      expect(f.frame_number).toBe(i);
      expect(typeof f.timestamp).toBe('number');
    });
    const person = result.frames.find((f: any) => f.persons.length).persons[0];
    // the original document's person fields
    for (const key of ['track_id', 'confidence', 'tracking_confidence', 'smpl', 'keypoints_3d', 'keypoints_2d', 'camera', 'bbox', 'mesh_vertices']) expect(person).toHaveProperty(key);
    expect(Object.keys(person.camera).sort()).toEqual(['tx', 'ty', 'tz']);
    expect(person.bbox).toHaveLength(4);
    expect(person.keypoints_3d[0]).toHaveLength(3);
    expect(person.keypoints_2d[0]).toHaveLength(2);
    expect(person.keypoints_3d).toHaveLength(result.joint_names.length);
    expect(person.mesh_vertices).toEqual([]);
  });

  it('failed and canceled jobs answer status error with the reason; a running one processing', async () => {
    const failed = await makeClip(owner.actor.userId, 'failed');
    expect((await status(owner, failed)).body).toMatchObject({ status: 'error', clip_status: 'failed', error: expect.stringMatching(/crashed/), result: null });
    const canceled = await makeClip(owner.actor.userId, 'canceled');
    expect((await status(owner, canceled)).body).toMatchObject({ status: 'error', clip_status: 'canceled' });
    const running = await makeClip(owner.actor.userId, 'processing');
    expect((await status(owner, running)).body).toMatchObject({ status: 'processing', result: null });
    expect((await status(owner, 'ffffffffffffffffffffffff')).status).toBe(404);
  });
});

describe('GET /api/pose/health and /api/pose/pool-status without workers', () => {
  it('health says initializing (503) while no worker runs; pool-status counts the queued jobs', async () => {
    const h = await healthRoute(asUser(owner, '/api/pose/health'));
    expect(h.status).toBe(503);
    const hb = await h.json();
    expect(hb).toMatchObject({ status: 'initializing', models_loaded: false, gpu_available: false, device: 'cpu', models: { hmr2: false, vitdet: false, phalp: false } });
    expect(Object.keys(hb.pool).sort()).toEqual(['active_jobs', 'gpu_busy', 'queue_length']);
    expect(typeof hb.timestamp).toBe('number');

    const p = await (await poolRoute(asUser(owner, '/api/pose/pool-status'))).json();
    expect(Object.keys(p.pool).sort()).toEqual(['active_workers', 'available_workers', 'gpu_busy', 'max_workers']);
    expect(Object.keys(p.queue).sort()).toEqual(['estimated_wait_time_seconds', 'length']);
    expect(Object.keys(p.system).sort()).toEqual(['device', 'gpu_available', 'models_loaded']);
    expect(p.jobs).toMatchObject({ queued: expect.any(Number), processing: 0, completed: expect.any(Number) });
    expect(p.jobs.queued).toBeGreaterThanOrEqual(1); // the job queued above
    expect(p.jobs.total).toBe(p.jobs.queued + p.jobs.processing + p.jobs.completed + p.jobs.failed);
    // nobody to run them: every waiting job counts at the original's 60 s
    expect(p.queue.estimated_wait_time_seconds).toBe(p.queue.length * 60);
  });
});

describe('with a real worker process', () => {
  beforeAll(async () => {
    worker = startWorker(PHALP_ENV);
    await waitForWorkerReady(worker);
  }, 120_000);

  it('the queued job runs and its status ends completed with every frame', async () => {
    const file = shortClip(importDir);
    const r = await submit(owner, file);
    expect(r.status).toBe(202);
    const jobId = r.body.job_id as string;
    const done = await waitFor(async () => {
      const s = await status(owner, jobId);
      if (s.body.status === 'error') throw new Error(`job failed: ${s.body.error}\n${worker!.output().slice(-3000)}`);
      return s.body.status === 'completed' ? s.body : null;
    }, 150_000, 'job completed');
    expect(done.started_at).toBeGreaterThanOrEqual(done.queued_at);
    expect(done.completed_at).toBeGreaterThanOrEqual(done.started_at);
    const doc = await getClipDoc(jobId);
    expect(done.result.total_frames).toBe(doc!.video!.frameCount);
    expect(done.result.frames).toHaveLength(doc!.video!.frameCount);
    expect(done.result.frames.some((f: any) => f.persons.length > 0)).toBe(true);
    expect(done.result.frames.flatMap((f: any) => f.persons)[0].smpl.body_pose).toHaveLength(23);
  }, 200_000);

  it('health is healthy and pool-status shows the worker once it is idle', async () => {
    await waitFor(async () => (await listWorkers()).length === 1 && (await listWorkers())[0].activeClipIds.length === 0, 30_000, 'idle worker');
    // healthy once the worker's heartbeat says idle (a moment later when the test MongoDB was restarted)
    const h = await waitFor(async () => {
      const r = await healthRoute(asUser(owner, '/api/pose/health'));
      return r.status === 200 ? r : null;
    }, 60_000, 'a healthy pose service');
    const hb = await h.json();
    expect(h.status).toBe(200);
    expect(hb).toMatchObject({ status: 'healthy', models_loaded: true, gpu_available: true, device: 'cuda', pool: { gpu_busy: false } });
    const p = await (await poolRoute(asUser(owner, '/api/pose/pool-status'))).json();
    expect(p.pool).toEqual({ gpu_busy: false, max_workers: 1, active_workers: 0, available_workers: 1 });
    expect(p.queue).toEqual({ length: 0, estimated_wait_time_seconds: 0 });
    expect(p.jobs.completed).toBeGreaterThanOrEqual(1);
    // the warm service: models loaded once, however many jobs ran; worker names for admins only
    expect(p.workers[0]).toMatchObject({ runner: 'phalp', phalp_mode: 'service', models_loaded: true, model_loads: 1, id: '', host: '' });
    expect(typeof p.workers[0].model_load_seconds).toBe('number');
    const detail = await (await healthApiRoute(asUser(admin, '/api/health'))).json();
    expect(detail.workers[0].runnerInfo).toMatchObject({ phalpMode: 'service', phalpModeSetting: 'service', modelsLoaded: true, modelLoads: 1, serviceRestarts: 0 });
  });

  it('POST /pose/hybrid: one JPEG frame in, one frame pose out in the original format', async () => {
    const jpg = path.join(tmp, 'frame.jpg');
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-ss', '1', '-i', SAMPLE_VIDEO, '-frames:v', '1', jpg]);
    const res = await hybridRoute(post(owner, '/pose/hybrid', { image_base64: fs.readFileSync(jpg).toString('base64'), frame_number: 7 }));
    const body = await res.json();
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(body).toMatchObject({ frame_number: 7, has_3d: true, mesh_vertices_data: [], mesh_faces_data: [], phalp_available: false, error: null, runner: 'cpu' });
    expect(body.keypoints).toHaveLength(33);
    expect(body.keypoints[0]).toEqual({ name: 'nose', x: expect.any(Number), y: expect.any(Number), z: expect.any(Number), confidence: expect.any(Number) });
    expect(body.camera_translation).toHaveLength(3);
    expect(body.camera_full).toMatchObject({ type: 'perspective', img_width: 1768, img_height: 994, focal_length: expect.any(Number) });
    expect(body.camera_params).toMatchObject({ type: 'weak_perspective', scale: expect.any(Number) });
    // the weak-perspective camera is the same camera: tz = 2 f / (box_size * s)
    const tz = (2 * body.camera_full.focal_length) / (body.detection.box_size * body.camera_params.scale);
    expect(tz).toBeCloseTo(body.camera_translation[2], 4);
    expect(body.detection).toMatchObject({ vitdet_used: false, num_persons_detected: body.persons.length });
    expect(body.detection.num_persons_detected).toBeGreaterThanOrEqual(1);
    expect(body.processing_time_ms).toBeGreaterThan(0);
    expect(body.persons[0].keypoints_2d[0]).toHaveLength(2);

    // a PNG as a data: URL works too
    const png = path.join(tmp, 'frame.png');
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-i', jpg, '-vf', 'scale=640:-2', png]);
    const res2 = await hybridRoute(post(owner, '/pose/hybrid', { image_base64: `data:image/png;base64,${fs.readFileSync(png).toString('base64')}` }));
    const body2 = await res2.json();
    expect(res2.status, JSON.stringify(body2)).toBe(200);
    expect(body2).toMatchObject({ frame_number: 0, image_size: { width: 640 } });
  }, 120_000);

  it('POST /pose/hybrid: bad input gets the original 400 answers', async () => {
    const call = async (body: unknown) => {
      const res = await hybridRoute(post(owner, '/pose/hybrid', body));
      return { status: res.status, error: ((await res.json()) as { error: string }).error };
    };
    expect(await call({})).toEqual({ status: 400, error: 'Missing image_base64' });
    expect(await call({ image_base64: 'not base64 at all!' })).toEqual({ status: 400, error: 'Failed to decode image: Invalid base64 string' });
    expect((await call({ image_base64: Buffer.from('hello world').toString('base64') })).error).toMatch(/^Failed to decode image: not a JPEG/);
    expect((await call({ image_base64: Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4, 5]).toString('base64') })).status).toBe(400); // JPEG header, no image
    expect((await call({ image_base64: Buffer.from([0xff, 0xd8, 0xff]).toString('base64'), frame_number: -1 })).status).toBe(400);
  }, 60_000);
});
