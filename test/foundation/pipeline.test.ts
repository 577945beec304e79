import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { getClipDoc } from '../../lib/clips/repo';
import { acceptUpload, cancelClip, deleteClip } from '../../lib/clips/service';
import { getConfig } from '../../lib/config';
import { closeDb, getDb } from '../../lib/db';
import { closeQueue, queueStatus } from '../../lib/queue';
import { closeSharedRedis } from '../../lib/redis';
import { clipLayout } from '../../lib/storage/layout';
import { fileChunks, multipartRequest, PHALP_DOUBLE_DIR, SAMPLE_VIDEO, startWorker, waitFor, waitForWorkerReady, type WorkerProcess } from './helpers';
import { testOwner } from '../auth/helpers';

/**
 * The whole job against real MongoDB, Redis, ffmpeg and worker processes. The pose runner is PHALP,
 * played by the TEST DOUBLE of track.py in test/fixtures/phalp-double (no GPU here).
 */
const PHALP_ENV = { POSE_RUNNER: 'phalp', PHALP_DIR: PHALP_DOUBLE_DIR, PHALP_PYTHON: '/usr/bin/python3', PHALP_DOUBLE_PEOPLE: '2' };

let tmp: string;
const workers: WorkerProcess[] = [];
function worker(env: Record<string, string>) {
  const w = startWorker({ ...PHALP_ENV, ...env });
  workers.push(w);
  return w;
}

/** Waits for the clip to reach `status`; on failure or timeout the error carries the clip and the worker's log. */
async function waitForStatus(clipId: string, status: string, w: WorkerProcess, timeoutMs: number) {
  try {
    return await waitFor(async () => {
      const doc = await getClipDoc(clipId);
      if (doc?.status === 'failed' && status !== 'failed') throw new Error(`job failed: ${doc.error}`);
      return doc?.status === status ? doc : null;
    }, timeoutMs, `clip ${status}`);
  } catch (err) {
    const doc = await getClipDoc(clipId);
    throw new Error(`${(err as Error).message}\nclip: ${JSON.stringify({ ...doc, video: undefined })}\nworker log:\n${w.output().slice(-4000)}`);
  }
}

/** A short generated clip with unique bytes (so it is never mistaken for an earlier upload). */
function makeClip(seconds: number, rate = 24): string {
  const file = path.join(tmp, `gen-${crypto.randomUUID()}.mp4`);
  execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', `testsrc2=size=640x360:rate=${rate}`, '-t', String(seconds), '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-metadata', `comment=${crypto.randomUUID()}`, file]);
  return file;
}

async function frameDocCount(clipId: string): Promise<number> {
  const db = await getDb();
  const { ObjectId } = await import('mongodb');
  return db.collection('frames').countDocuments({ clipId: new ObjectId(clipId) });
}

function processesMentioning(text: string): string[] {
  try {
    return execFileSync('pgrep', ['-af', text]).toString().trim().split('\n').filter((l) => l && !l.includes('pgrep'));
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

beforeAll(async () => {
  tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'mc-pipeline-'));
});
afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.stop('SIGKILL')));
});
afterAll(async () => {
  await closeQueue();
  await closeSharedRedis();
  await closeDb();
  await fsp.rm(tmp, { recursive: true, force: true });
});

describe('the pose job', { timeout: 240_000 }, () => {
  it('goes queued -> processing -> done, with exact metadata and one document per video frame', async () => {
    const w = worker({ PHALP_DOUBLE_FPS: '400' });
    await waitForWorkerReady(w);
    const clip = await acceptUpload(await testOwner(), multipartRequest({ name: 'jump.mp4', chunks: fileChunks(SAMPLE_VIDEO) }));
    const seen: string[] = [clip.status];
    const watcher = setInterval(async () => {
      const doc = await getClipDoc(clip.id).catch(() => null);
      if (doc && seen.at(-1) !== doc.status) seen.push(doc.status);
    }, 50);
    const done = await waitForStatus(clip.id, 'done', w, 150_000).finally(() => clearInterval(watcher));
    if (seen.at(-1) !== 'done') seen.push('done');
    expect(seen).toEqual(['queued', 'processing', 'done']);
    expect(done.video?.frameCount).toBe(230);
    expect(done.video?.fps).toBeCloseTo(30, 6);
    expect(done.runner).toBe('phalp');
    expect(await frameDocCount(clip.id)).toBe(230);
    expect(done.stats?.tracks.length).toBeGreaterThan(0);
    // the coaching analysis (lib/pose/analysis.ts, worker/analyse.ts) is stored with the stats, per track
    expect(done.stats?.analysis?.tracks.map((t) => t.track_id)).toEqual(done.stats?.tracks.map((t) => t.track_id));
    for (const t of done.stats!.analysis!.tracks) {
      expect(Array.isArray(t.breaks)).toBe(true);
      if (t.jitter_raw !== null) expect(t.jitter_smoothed).toBeLessThanOrEqual(t.jitter_raw);
    }
    // VP9 is not playable in Safari: an H.264 copy exists and the JPGs were cleaned up
    expect(done.hasPlayableCopy).toBe(true);
    expect(fs.existsSync(clipLayout(getConfig().dataDir, clip.id).playable)).toBe(true);

    // the same content again re-uses the results instead of queueing GPU work twice
    const again = await acceptUpload(await testOwner(), multipartRequest({ name: 'same-again.mp4', chunks: fileChunks(SAMPLE_VIDEO) }));
    expect(again.status).toBe('done');
    expect(again.reusedFrom).toBe(clip.id);
    expect(await frameDocCount(again.id)).toBe(230);

    // deleting the first leaves the re-used copy intact
    await deleteClip(await testOwner(), clip.id);
    expect(await getClipDoc(clip.id)).toBeNull();
    expect(await frameDocCount(clip.id)).toBe(0);
    expect(fs.existsSync(clipLayout(getConfig().dataDir, clip.id).dir)).toBe(false);
    expect(await frameDocCount(again.id)).toBe(230);
    expect(fs.existsSync(clipLayout(getConfig().dataDir, again.id).playable)).toBe(true);
  });

  it('cancel kills the running PHALP process tree and keeps the clip as canceled', async () => {
    const w = worker({ PHALP_DOUBLE_MODE: 'hang' });
    await waitForWorkerReady(w);
    const clip = await acceptUpload(await testOwner(), multipartRequest({ name: 'hang.mp4', chunks: fileChunks(makeClip(2)) }));
    const runsDir = clipLayout(getConfig().dataDir, clip.id).runsDir;
    await waitFor(async () => processesMentioning(runsDir).length > 0, 60_000, 'PHALP double running');
    const canceled = await cancelClip(await testOwner(), clip.id);
    expect(canceled.status).toBe('canceled');
    await waitFor(async () => processesMentioning(runsDir).length === 0, 10_000, 'no process of the run left');
    expect(processesMentioning(clip.id)).toEqual([]);
    expect((await getClipDoc(clip.id))?.status).toBe('canceled');
    // the worker is free again
    expect(w.child.exitCode).toBeNull();
  });

  it('a worker killed with SIGKILL mid-job: a restarted worker finishes it, exactly one document per frame', async () => {
    const w1 = worker({ PHALP_DOUBLE_FPS: '2' });
    await waitForWorkerReady(w1);
    const file = makeClip(4); // 96 frames, ~48 s of "tracking"
    const clip = await acceptUpload(await testOwner(), multipartRequest({ name: 'killed.mp4', chunks: fileChunks(file) }));
    await waitFor(async () => {
      const doc = await getClipDoc(clip.id);
      return doc?.stage === 'tracking' && doc.progress > 0.35 ? doc : null;
    }, 60_000, 'tracking under way');
    await w1.stop('SIGKILL');
    // its PHALP (double) may outlive the worker for a moment (it would keep holding the GPU); it usually
    // dies at its next progress write to the closed pipe, within ~0.1 s, so this list may already be empty
    const runsDir = clipLayout(getConfig().dataDir, clip.id).runsDir;
    const orphans = processesMentioning(runsDir).map((l) => Number(l.split(' ')[0]));

    const w2 = worker({ PHALP_DOUBLE_FPS: '200' });
    await waitForWorkerReady(w2);
    const done = await waitForStatus(clip.id, 'done', w2, 120_000);
    expect(done.video?.frameCount).toBe(96);
    expect(await frameDocCount(clip.id)).toBe(96);
    // the orphan is gone long before it would have finished by itself (~30 s more): it dies writing to
    // its closed stdout, and a restarted job kills whatever of the clip's runs is still there
    const alive = orphans.filter((pid) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    });
    expect(alive).toEqual([]);
  });

  it('reports each waiting clip position in the queue', async () => {
    // no worker is running: both wait
    const a = await acceptUpload(await testOwner(), multipartRequest({ name: 'a.mp4', chunks: fileChunks(makeClip(1)) }));
    const b = await acceptUpload(await testOwner(), multipartRequest({ name: 'b.mp4', chunks: fileChunks(makeClip(1)) }));
    const status = await queueStatus();
    const pa = status.queue.find((q) => q.clipId === a.id)?.position;
    const pb = status.queue.find((q) => q.clipId === b.id)?.position;
    expect(pa).toBeDefined();
    expect(pb).toBe(pa! + 1);
    await deleteClip(await testOwner(), a.id);
    await deleteClip(await testOwner(), b.id);
    expect((await queueStatus()).queue.find((q) => q.clipId === a.id)).toBeUndefined();
  });
});
