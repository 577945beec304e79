import crypto from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Queue } from 'bullmq';
import { ObjectId } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { benchSession, type AppSession } from '../../bench/app-session';
import { postFile } from '../../bench/upload-throughput';
import { getClipDoc } from '../../lib/clips/repo';
import { closeDb, getDb } from '../../lib/db';
import { POSE_QUEUE } from '../../lib/queue';
import { bullConnection, closeSharedRedis } from '../../lib/redis';
import { findFreePort } from '../../scripts/services/free-port';
import {
  ensureWebBuild,
  startWebApp,
  startWorkerProcess,
  waitForWebApp,
  waitForWorkerProcess,
  type ManagedProcess,
} from '../../scripts/services/web-processes';
import { SAMPLE_VIDEO, waitFor } from '../foundation/helpers';
import { testTempDir } from '../setup/test-services';

/**
 * Several web apps, several workers, one queue (issue 13): one MongoDB and one Redis (the harness'),
 * two production web servers (`scripts/web-server.mjs`) on their own ports and three workers (`worker/main.ts`,
 * CPU runner), every process with its own empty DATA_DIR and STORAGE=gridfs, so they share nothing but
 * the database and the queue. Nine short clips (cut from the sample) are uploaded alternately to both
 * web apps; one worker is killed with SIGKILL in the middle of a job. Every clip must finish exactly
 * once (one `job.done` over all workers' logs, one BullMQ completion, no duplicate frames), play from
 * either web app (video Range -> 206 with the same bytes, poses with the same ETag), and the live
 * events of clips uploaded to web app A must reach an event stream opened on web app B.
 *
 * Needs the production build: it is built here when missing or stale (`next build`, minutes).
 */
const CLIPS = 9;
let tmp: string;
const webs: { app: ManagedProcess; url: string; dataDir: string }[] = [];
const workers: ManagedProcess[] = [];
let session: AppSession;
let sseAbort: AbortController | null = null;

const say = (s: string) => process.stdout.write(`[scale] ${s}\n`);

/** Nine different short clips (1.2 s, 640 px wide, H.264) cut from the sample at different offsets. */
function makeClips(dir: string): string[] {
  return Array.from({ length: CLIPS }, (_, i) => {
    const out = path.join(dir, `clip-${i + 1}.mp4`);
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-ss', (i * 0.6).toFixed(1), '-t', '1.2', '-i', SAMPLE_VIDEO, '-vf', 'scale=640:-2', '-an', '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', out]);
    return out;
  });
}

/**
 * Wine's mongod can die under this many processes (the harness restarts it on the same port): a step
 * that met a 503 (MongoDB unreachable) or a refused connection is tried again for up to a minute.
 */
async function retried<T>(what: string, fn: () => Promise<T>): Promise<T> {
  return waitFor(async () => {
    try {
      return { value: await fn() };
    } catch (err) {
      if (/\b503\b|ECONNREFUSED|ECONNRESET|fetch failed|socket hang up/.test(String((err as Error).message) + String((err as Error).cause))) throw err;
      return { fatal: err as Error };
    }
  }, 90_000, what).then((r) => {
    if ('fatal' in r) throw r.fatal;
    return r.value;
  });
}

/** GET with the session; a 503 is thrown (so retried() tries again), any other answer returned. */
async function get(url: string, headers: Record<string, string> = {}): Promise<Response> {
  const res = await fetch(url, { headers: { cookie: session.headers.cookie, ...headers } });
  if (res.status === 503) throw new Error(`GET ${url}: 503 ${await res.text()}`);
  return res;
}

/** The log events of a process's JSON log lines. */
function events(p: ManagedProcess, name: string): Record<string, unknown>[] {
  return p
    .output()
    .split('\n')
    .filter((l) => l.includes(`"${name}"`))
    .map((l) => {
      try {
        return JSON.parse(l) as Record<string, unknown>;
      } catch {
        return null;
      }
    })
    .filter((e): e is Record<string, unknown> => e?.event === name);
}

/** An event stream of the caller's library (what the library page's EventSource opens), parsed as it arrives. */
function openLibraryEvents(url: string, headers: Record<string, string>, onClip: (clip: { id: string; status: string }) => void): AbortController {
  const abort = new AbortController();
  void (async () => {
    const res = await retried('event stream', async () => {
      const r = await fetch(`${url}/api/events`, { headers, signal: abort.signal });
      if (r.status === 503) throw new Error(`GET ${url}/api/events: 503`);
      return r;
    });
    if (res.status !== 200) throw new Error(`GET ${url}/api/events answered ${res.status}`);
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let buf = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buf += value;
      let end: number;
      while ((end = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, end);
        buf = buf.slice(end + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event === 'clip' && data) onClip(JSON.parse(data));
      }
    }
  })().catch((err) => {
    if (!abort.signal.aborted) say(`event stream on ${url} ended: ${(err as Error).message}`);
  });
  return abort;
}

beforeAll(async () => {
  ensureWebBuild(say);
  tmp = testTempDir('scale');
  const secret = crypto.randomBytes(32).toString('base64url');
  const common = {
    MONGODB_URI: process.env.MONGODB_URI!,
    REDIS_URL: process.env.REDIS_URL!,
    STORAGE: 'gridfs',
    // every web process of one install signs and reads the same session cookies
    BETTER_AUTH_SECRET: secret,
    LOG_LEVEL: 'info',
  };
  // one process at a time, each waited for: fewer simultaneous MongoDB connections and index builds
  // (Wine's mongod is fragile when many arrive or leave at once)
  for (const name of ['web-a', 'web-b']) {
    const port = await findFreePort();
    const dataDir = fs.mkdtempSync(path.join(tmp, `${name}-`));
    const web = { app: startWebApp(name, port, { ...common, DATA_DIR: dataDir }), url: `http://127.0.0.1:${port}`, dataDir };
    webs.push(web);
    await waitForWebApp(web.app, web.url, 180_000);
  }
  for (let i = 1; i <= 3; i++) {
    const worker = startWorkerProcess(`worker-${i}`, {
      ...common,
      DATA_DIR: fs.mkdtempSync(path.join(tmp, `worker-${i}-`)),
      POSE_RUNNER: 'cpu',
      // a killed worker's job is seen as stalled (and taken by another worker) within seconds
      WORKER_LOCK_MS: '5000',
      WORKER_SHUTDOWN_GRACE_MS: '5000',
    });
    workers.push(worker);
    await waitForWorkerProcess(worker, 180_000);
  }
}, 1_200_000);

afterAll(async () => {
  sseAbort?.abort();
  // one process after another: many connections closing at once can crash Wine's mongod
  for (const p of [...workers, ...webs.map((w) => w.app)]) await p.stop('SIGTERM', 20_000);
  await closeSharedRedis();
  await closeDb();
}, 300_000);

describe('two web apps, three workers, one queue (STORAGE=gridfs, nothing shared but MongoDB and Redis)', { timeout: 900_000 }, () => {
  it('every clip finishes exactly once, plays from either web app, and live events cross web apps', async () => {
    const [a, b] = webs as [(typeof webs)[0], (typeof webs)[0]];
    // the first account, signed up on web app A; its session cookie is good on B (same database and secret)
    session = await retried('sign-up on web app A', () => benchSession(a.url));
    for (const web of [a, b]) {
      // /api/me answers user null while MongoDB restarts (the session could not be looked up): asked again
      const me = await retried(`GET ${web.url}/api/me`, async () => {
        const text = await (await get(`${web.url}/api/me`)).text();
        if (!JSON.parse(text).user) throw new Error(`GET ${web.url}/api/me: 503-like answer while MongoDB restarts: ${text}`);
        return text;
      });
      expect(JSON.parse(me).user?.email, `GET ${web.url}/api/me: ${me}\n${web.app.output().slice(-2000)}`).toBe('bench@bench.example.com');
    }

    // a client of web app B listening to the library's live events
    const seenOnB = new Map<string, string[]>();
    sseAbort = openLibraryEvents(b.url, { cookie: session.headers.cookie }, (clip) => {
      const list = seenOnB.get(clip.id) ?? [];
      if (list.at(-1) !== clip.status) list.push(clip.status);
      seenOnB.set(clip.id, list);
    });

    const files = makeClips(tmp);
    const uploaded: { id: string; via: 'A' | 'B'; file: string }[] = [];
    for (const [i, file] of files.entries()) {
      const web = i % 2 === 0 ? a : b;
      const { status, body } = await retried(`upload of ${path.basename(file)}`, async () => {
        const r = await postFile(`${web.url}/api/clips`, { cookie: session.headers.cookie, origin: web.url }, file);
        if (r.status === 503) throw new Error(`upload: 503 ${r.body}`);
        return r;
      });
      expect(status, `${body}\n${web.app.output().slice(-2000)}`).toBe(201);
      uploaded.push({ id: (JSON.parse(body) as { id: string }).id, via: i % 2 === 0 ? 'A' : 'B', file });
    }
    say(`uploaded ${uploaded.length} clips: ${uploaded.map((u) => `${u.id.slice(-6)} via ${u.via}`).join(', ')}`);

    // kill a worker with SIGKILL while it is tracking a clip, in the first half of its tracking (progress
    // 0.22-0.96 is tracking): a kill that lands late could find the results stored and the clip done (seen
    // once in CI on a loaded machine), and then nothing was killed mid-job
    const victim = await waitFor(
      async () => {
        for (const w of workers) {
          const started = events(w, 'job.started').map((e) => String(e.clipId));
          const ended = new Set(events(w, 'job.done').map((e) => String(e.clipId)));
          const current = started.find((id) => !ended.has(id));
          if (!current) continue;
          const doc = await getClipDoc(current);
          if (doc?.status === 'processing' && doc.stage === 'tracking' && (doc.progress ?? 1) < 0.55) return { worker: w, clipId: current };
        }
        return null;
      },
      300_000,
      'a worker in the first half of tracking a clip',
    );
    await victim.worker.stop('SIGKILL');
    const afterKill = await getClipDoc(victim.clipId);
    say(`killed ${victim.worker.name} (SIGKILL) while it was tracking clip ${victim.clipId.slice(-6)} (now ${afterKill?.status}/${afterKill?.stage})`);
    expect(afterKill?.status, `clip ${victim.clipId} was to be killed mid-job; after the kill it is ${afterKill?.status}/${afterKill?.stage}`).toBe('processing');
    expect(events(victim.worker, 'job.done').map((e) => String(e.clipId))).not.toContain(victim.clipId);

    const logs = () => workers.map((w) => `--- ${w.name}\n${w.output().slice(-2500)}`).join('\n');
    for (const u of uploaded) {
      await waitFor(
        async () => {
          const doc = await getClipDoc(u.id);
          if (doc?.status === 'failed') throw new Error(`clip ${u.id} failed: ${doc.error}`);
          return doc?.status === 'done';
        },
        600_000,
        `clip ${u.id} done`,
      ).catch((err) => {
        throw new Error(`${(err as Error).message}\n${logs()}`);
      });
    }

    // exactly once: one job.done per clip over all workers (the killed one's included), one BullMQ completion each
    const doneBy = new Map<string, string[]>();
    for (const w of workers) for (const e of events(w, 'job.done')) doneBy.set(String(e.clipId), [...(doneBy.get(String(e.clipId)) ?? []), w.name]);
    for (const u of uploaded) expect(doneBy.get(u.id), `job.done of clip ${u.id}`).toHaveLength(1);
    expect(doneBy.get(victim.clipId)![0]).not.toBe(victim.worker.name);
    const queue = new Queue(POSE_QUEUE, { connection: bullConnection() });
    try {
      const counts = await queue.getJobCounts('completed', 'failed', 'active', 'waiting', 'delayed');
      expect(counts).toMatchObject({ completed: CLIPS, failed: 0, active: 0, waiting: 0, delayed: 0 });
    } finally {
      await queue.close();
    }
    const db = await getDb();
    for (const u of uploaded) {
      const doc = (await getClipDoc(u.id))!;
      const frameCount = doc.video?.frameCount ?? 0;
      expect(frameCount).toBeGreaterThanOrEqual(30);
      // no frame written twice by the killed run and the run that finished
      expect(await db.collection('frames').countDocuments({ clipId: new ObjectId(u.id) })).toBe(frameCount);
      expect(doc.attempts).toBe(u.id === victim.clipId ? 2 : 1);
    }
    // the work of more than one worker (the pool shared the queue)
    expect(new Set([...doneBy.values()].flat()).size).toBeGreaterThanOrEqual(2);

    // plays from either web app: the same bytes for a video Range, the same poses payload (ETag)
    for (const u of uploaded) {
      const answers = [];
      for (const web of [a, b]) {
        const video = await retried('video Range', () => get(`${web.url}/api/clips/${u.id}/video`, { range: 'bytes=100-4099' }));
        expect(video.status).toBe(206);
        expect(video.headers.get('content-range')).toMatch(/^bytes 100-4099\/\d+$/);
        const bytes = Buffer.from(await video.arrayBuffer());
        expect(bytes.length).toBe(4000);
        const poses = await retried('poses', () => get(`${web.url}/api/clips/${u.id}/poses`));
        expect(poses.status).toBe(200);
        const payload = Buffer.from(await poses.arrayBuffer());
        expect(payload.subarray(0, 4).toString('latin1')).toBe('PSQ1');
        answers.push({ bytes, etag: poses.headers.get('etag'), payload });
      }
      expect(answers[0]!.bytes.equals(answers[1]!.bytes)).toBe(true);
      expect(answers[1]!.etag).toBe(answers[0]!.etag);
      expect(answers[1]!.payload.equals(answers[0]!.payload)).toBe(true);
      // the uploaded file is what either app serves as the clip's source bytes (H.264: no playable copy needed)
      expect(answers[0]!.bytes.equals(fs.readFileSync(u.file).subarray(100, 4100))).toBe(true);
    }

    // the live events of every clip, those uploaded to A included, reached the stream opened on B
    await waitFor(async () => uploaded.every((u) => seenOnB.get(u.id)?.includes('done')), 30_000, 'done events on web app B');
    for (const u of uploaded.filter((x) => x.via === 'A')) expect(seenOnB.get(u.id)).toEqual(expect.arrayContaining(['processing', 'done']));

    // nothing was written to any process's own DATA_DIR but scratch that is gone again
    for (const w of webs) expect(fs.existsSync(path.join(w.dataDir, 'clips'))).toBe(false);
    say(`done: ${[...doneBy.entries()].map(([id, by]) => `${id.slice(-6)} by ${by[0]}`).join(', ')}`);
  });
});
