import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { GET as getEvents } from '../../app/api/clips/[id]/events/route';
import { GET as getFrames } from '../../app/api/clips/[id]/frames/route';
import { GET as getPoses } from '../../app/api/clips/[id]/poses/route';
import { afterAll, beforeAll, expect } from 'vitest';
import { getClipDoc } from '../../lib/clips/repo';
import { acceptUpload } from '../../lib/clips/service';
import { closeDb } from '../../lib/db';
import { decodePoseSequence } from '../../lib/pose/compact';
import { closeQueue } from '../../lib/queue';
import { closeSharedRedis } from '../../lib/redis';
import { asUser, params, type TestUser } from '../auth/helpers';
import { fileChunks, multipartRequest, SAMPLE_VIDEO, startWorker, waitForWorkerReady, type WorkerProcess } from '../foundation/helpers';

/** The sample clip with unique bytes (a new comment tag, the video stream copied as is): never taken for an earlier upload. */
export function uniqueSampleCopy(dir: string): string {
  const file = path.join(dir, `sample-${crypto.randomUUID()}.mp4`);
  execFileSync('ffmpeg', ['-v', 'error', '-i', SAMPLE_VIDEO, '-map', '0', '-c', 'copy', '-metadata', `comment=${crypto.randomUUID()}`, file]);
  return file;
}

/**
 * The setup and teardown every streaming integration test file shares (call it at the top of the file):
 * a temp folder of its own, at most one real worker process (killed at the end), and the shared
 * MongoDB/Redis/queue clients closed after the file.
 */
export function streamingSuite(tmpPrefix: string) {
  let tmp = '';
  let worker: WorkerProcess | null = null;
  beforeAll(async () => {
    tmp = await fsp.mkdtemp(path.join(os.tmpdir(), tmpPrefix));
  });
  afterAll(async () => {
    await worker?.stop('SIGKILL');
    await closeQueue();
    await closeSharedRedis();
    await closeDb();
    await fsp.rm(tmp, { recursive: true, force: true });
  });
  return {
    get tmp() {
      return tmp;
    },
    /** A real worker process (worker/main.ts) with `env`, once it says it is ready. */
    async startWorker(env: Record<string, string>): Promise<WorkerProcess> {
      worker = startWorker(env);
      await waitForWorkerReady(worker);
      return worker;
    },
    /** The sample clip with unique bytes, uploaded by `user` through what POST /api/clips runs. */
    uploadSample(user: TestUser, name = 'stream.mp4') {
      return acceptUpload(user.actor, multipartRequest({ name, chunks: fileChunks(uniqueSampleCopy(tmp)) }));
    },
  };
}

export interface FramesEvent {
  id: string;
  status: string;
  final_frames: number;
  total_frames: number;
  /** ms since the stream was opened */
  at: number;
}

/**
 * Follows GET /api/clips/:id/events as a page does, through the real route handler; every `frames`
 * event is handed to `onFrames` (awaited, in order). Resolves when the server ends the stream (the clip is final).
 */
export async function followFrameEvents(user: TestUser, clipId: string, onFrames: (e: FramesEvent) => Promise<void>): Promise<FramesEvent[]> {
  const res = await getEvents(asUser(user, `/api/clips/${clipId}/events`), params({ id: clipId }));
  if (!res.ok || !res.body) throw new Error(`events: HTTP ${res.status}`);
  const t0 = Date.now();
  const reader = res.body.getReader();
  const dec = new TextDecoder();
  const seen: FramesEvent[] = [];
  let text = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    text += dec.decode(value, { stream: true });
    let end: number;
    while ((end = text.indexOf('\n\n')) >= 0) {
      const block = text.slice(0, end);
      text = text.slice(end + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (event !== 'frames' || !data) continue;
      const e = { ...(JSON.parse(data) as Omit<FramesEvent, 'at'>), at: Date.now() - t0 };
      seen.push(e);
      await onFrames(e);
    }
  }
  return seen;
}

export async function framesApi(user: TestUser, clipId: string, query: string) {
  const res = await getFrames(asUser(user, `/api/clips/${clipId}/frames?${query}`), params({ id: clipId }));
  return { status: res.status, body: await res.json() };
}

export async function posesApi(user: TestUser, clipId: string) {
  const res = await getPoses(asUser(user, `/api/clips/${clipId}/poses`), params({ id: clipId }));
  if (!res.ok) return { status: res.status, headers: res.headers, seq: null };
  return { status: res.status, headers: res.headers, seq: decodePoseSequence(new Uint8Array(await res.arrayBuffer())) };
}

/** Track ids per frame as the frames API served them: 'frame -> "1,2"'. */
export type IdsByFrame = Map<number, string>;

export function recordIds(into: IdsByFrame, frames: { frame_number: number; persons: { track_id: number }[] }[]): void {
  for (const f of frames) {
    const ids = f.persons.map((p) => p.track_id).join(',');
    const before = into.get(f.frame_number);
    if (before !== undefined && before !== ids) throw new Error(`frame ${f.frame_number}: track ids ${before} were served, now ${ids}`);
    into.set(f.frame_number, ids);
  }
}

/**
 * Follows a processing clip as a page does (its events; each new range of final frames from the frames
 * API; the poses payload once while processing) and checks what results while tracking runs promise:
 * frames arrive in several chunks before the job is done, the final count only grows, a frame not final
 * yet is refused, and every track id served stays the same in the finished result. Returns the events.
 */
export async function expectFramesWhileTracking(user: TestUser, clipId: string, total: number, workerLog: () => string): Promise<FramesEvent[]> {
  const served: IdsByFrame = new Map();
  const whileProcessing: { final: number; fetchedTo: number; posesFinal: number | null }[] = [];
  let loaded = 0;
  const events = await followFrameEvents(user, clipId, async (e) => {
    if (e.final_frames <= loaded) return;
    // only the new range, as the page fetches it
    const res = await framesApi(user, clipId, `from=${loaded}&to=${e.final_frames - 1}`);
    expect(res.status, JSON.stringify(res.body).slice(0, 300)).toBe(200);
    expect(res.body.from).toBe(loaded);
    expect(res.body.final_frames).toBeGreaterThanOrEqual(e.final_frames);
    recordIds(served, res.body.frames);
    loaded = res.body.to + 1;
    if (e.status === 'processing' && !res.body.complete) {
      // a frame not final yet is refused, saying how many are
      const ahead = res.body.final_frames < total ? await framesApi(user, clipId, `from=${res.body.final_frames}`) : null;
      const posesNow = whileProcessing.length === 0 ? await posesApi(user, clipId) : null;
      if (posesNow) {
        expect(posesNow.status).toBe(200);
        expect(posesNow.headers.get('cache-control')).toContain('no-store');
        const finalInPoses = Number(posesNow.headers.get('x-final-frames'));
        expect(finalInPoses).toBeGreaterThanOrEqual(e.final_frames);
        // every frame of the clip is there; those not final yet are placeholders with nobody in them
        expect(posesNow.seq!.frames).toHaveLength(total);
        expect(posesNow.seq!.frames.slice(finalInPoses).every((f) => f.persons.length === 0)).toBe(true);
        recordIds(served, posesNow.seq!.frames.slice(0, finalInPoses));
      }
      // (tracking goes on meanwhile: by now that frame may have become final)
      if (ahead?.status === 409) expect(ahead.body.final_frames).toBeLessThanOrEqual(res.body.final_frames);
      else if (ahead) expect([ahead.status, ahead.body.from]).toEqual([200, res.body.final_frames]);
      whileProcessing.push({ final: e.final_frames, fetchedTo: res.body.to, posesFinal: posesNow ? Number(posesNow.headers.get('x-final-frames')) : null });
    }
  });

  const done = await getClipDoc(clipId);
  expect(done?.status, done?.error ?? '').toBe('done');
  // frames became available in several chunks before the job was done
  expect(whileProcessing.length, `${JSON.stringify(events)}\n${workerLog().slice(-3000)}`).toBeGreaterThanOrEqual(2);
  expect(whileProcessing[0]!.final).toBeLessThan(total);
  // the final count only grows
  const counts = events.map((e) => e.final_frames);
  expect(counts).toEqual([...counts].sort((a, b) => a - b));
  expect(counts.at(-1)).toBe(total);
  expect(events.at(-1)!.status).toBe('done');

  // the whole result: every frame served earlier has the same track ids now
  const all = await framesApi(user, clipId, `from=0&to=${total - 1}`);
  expect(all.body).toMatchObject({ total_frames: total, final_frames: total, complete: true });
  const finalIds: IdsByFrame = new Map();
  recordIds(finalIds, all.body.frames);
  for (const [frame, ids] of served) expect(finalIds.get(frame), `frame ${frame}`).toBe(ids);
  expect(served.size).toBe(total);
  // the done clip's poses payload is the whole result
  const poses = await posesApi(user, clipId);
  expect(poses.headers.get('x-final-frames')).toBe(String(total));
  recordIds(finalIds, poses.seq!.frames);
  // the worker found the runner's final result equal to what it had stored while tracking ran
  expect(workerLog()).not.toContain('frames.stream-diverged');
  return events;
}
