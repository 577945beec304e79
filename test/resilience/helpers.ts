import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import path from 'node:path';
import { ObjectId } from 'mongodb';
import { getClipDoc } from '../../lib/clips/repo';
import { getDb } from '../../lib/db';
import { PHALP_DOUBLE_DIR, startWorker, waitFor, type WorkerProcess } from '../foundation/helpers';

/**
 * Shared pieces of the resilience tests: real worker processes running PHALP, played by the TEST
 * DOUBLE of track.py (test/fixtures/phalp-double), against real MongoDB and Redis servers that the
 * tests stop, kill and restart.
 */
export const PHALP_ENV = {
  POSE_RUNNER: 'phalp',
  PHALP_DIR: PHALP_DOUBLE_DIR,
  PHALP_PYTHON: '/usr/bin/python3',
  PHALP_DOUBLE_PEOPLE: '2',
  // reconcile often in tests; production defaults are 60 s / 30 s
  WORKER_RECONCILE_MS: '1500',
  WORKER_RECONCILE_MIN_AGE_MS: '1000',
  WORKER_MONGO_RETRY_MS: '1000',
};

/** Tracks the workers a test file starts, so afterEach can kill whatever is left. */
export function workerPool() {
  const workers: WorkerProcess[] = [];
  return {
    start(env: Record<string, string>): WorkerProcess {
      const w = startWorker({ ...PHALP_ENV, ...env });
      workers.push(w);
      return w;
    },
    async killAll(): Promise<void> {
      await Promise.all(workers.splice(0).map((w) => w.stop('SIGKILL')));
    },
  };
}

/** Waits for the clip to reach `status`; on failure or timeout the error carries the clip and the workers' logs. */
export async function waitForStatus(clipId: string, status: string, workers: WorkerProcess[], timeoutMs: number) {
  try {
    return await waitFor(async () => {
      const doc = await getClipDoc(clipId);
      if (doc?.status === 'failed' && status !== 'failed') throw new Error(`job failed: ${doc.error}`);
      return doc?.status === status ? doc : null;
    }, timeoutMs, `clip ${status}`);
  } catch (err) {
    const doc = await getClipDoc(clipId).catch(() => null);
    const logs = workers.map((w, i) => `--- worker ${i + 1} log:\n${w.output().slice(-3000)}`).join('\n');
    throw new Error(`${(err as Error).message}\nclip: ${JSON.stringify({ ...doc, video: undefined })}\n${logs}`);
  }
}

/** A short generated clip with unique bytes (so it is never mistaken for an earlier upload). */
export function makeClip(dir: string, seconds: number, rate = 24): string {
  const file = path.join(dir, `gen-${crypto.randomUUID()}.mp4`);
  execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', `testsrc2=size=320x180:rate=${rate}`, '-t', String(seconds), '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-metadata', `comment=${crypto.randomUUID()}`, file]);
  return file;
}

/** Frame documents of the clip, and how many distinct frame numbers they cover (equal when none is duplicated). */
export async function frameDocs(clipId: string): Promise<{ count: number; distinct: number }> {
  const frames = (await getDb()).collection('frames');
  const clip = new ObjectId(clipId);
  const [count, distinct] = await Promise.all([frames.countDocuments({ clipId: clip }), frames.distinct('frame', { clipId: clip })]);
  return { count, distinct: distinct.length };
}

export function processesMentioning(text: string): string[] {
  try {
    return execFileSync('pgrep', ['-af', '--', text]).toString().trim().split('\n').filter((l) => l && !l.includes('pgrep'));
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

/** Every descendant pid of `pid` (from /proc via ps), to check a stopped worker left no child behind. */
export function descendantsOf(pid: number): number[] {
  const out = execFileSync('ps', ['-e', '-o', 'pid=,ppid=']).toString();
  const children = new Map<number, number[]>();
  for (const line of out.trim().split('\n')) {
    const [p, pp] = line.trim().split(/\s+/).map(Number);
    children.set(pp, [...(children.get(pp) ?? []), p]);
  }
  const found: number[] = [];
  const stack = [pid];
  while (stack.length) for (const c of children.get(stack.pop()!) ?? []) found.push(c), stack.push(c);
  return found;
}
