import { Queue, QueueEvents } from 'bullmq';
import type { Intrinsics } from '../pose/types';
import type { PersonJson } from '../frames/api';
import { listWorkers } from '../queue';
import { bullConnection } from '../redis';
import { HttpError } from '../upload';

/**
 * POST /pose/hybrid's single frames go to the worker pool through their own BullMQ queue (`pose-frame`),
 * never through the clip queue: a frame is answered in seconds while the clip jobs keep their slots.
 * Every worker process takes frame jobs (one at a time) and measures them with the built-in CPU runner
 * (BlazePose, worker/runners/cpu/single-frame.ts), whose models it keeps loaded in one thread. The web
 * process stays free of TensorFlow and waits for the answer (FRAME_TIMEOUT_MS).
 */
export const FRAME_QUEUE = 'pose-frame';
export const FRAME_TIMEOUT_MS = 60_000;

export interface FrameJobData {
  /** the image file's bytes, base64 */
  image: string;
  frameNumber: number;
}

/** What a worker answers for one image: the frames API's per-person JSON (lib/frames/api.ts) and the image facts. */
export interface FrameJobResult {
  runner: 'cpu';
  width: number;
  height: number;
  intrinsics: Intrinsics;
  joint_set: string;
  joint_names: string[];
  persons: PersonJson[];
  processing_time_ms: number;
}

/** The failure text a worker gives for an image it cannot decode (the web answers 400 for it). */
export const DECODE_FAILURE = 'Failed to decode image';

let queue: Queue<FrameJobData, FrameJobResult> | null = null;
let events: QueueEvents | null = null;

function frameQueue(): Queue<FrameJobData, FrameJobResult> {
  if (!queue) {
    queue = new Queue<FrameJobData, FrameJobResult>(FRAME_QUEUE, { connection: bullConnection() });
    queue.on('error', () => {});
  }
  return queue;
}

async function frameEvents(): Promise<QueueEvents> {
  if (!events) {
    events = new QueueEvents(FRAME_QUEUE, { connection: bullConnection() });
    events.on('error', () => {});
  }
  await events.waitUntilReady();
  return events;
}

/** Sends one image to the worker pool and waits for its answer. */
export async function analyseFrameInPool(image: Buffer, frameNumber: number, timeoutMs = FRAME_TIMEOUT_MS): Promise<FrameJobResult> {
  if ((await listWorkers()).length === 0) {
    throw new HttpError(503, 'No worker is running, so the frame cannot be measured now; start a worker (npm start starts one).');
  }
  const ev = await frameEvents();
  const job = await frameQueue().add('frame', { image: image.toString('base64'), frameNumber }, { attempts: 1, removeOnComplete: { age: 300 }, removeOnFail: { age: 300 } });
  try {
    return await job.waitUntilFinished(ev, timeoutMs);
  } catch (err) {
    const message = (err as Error).message ?? String(err);
    if (/timed out|timeout/i.test(message) && !message.startsWith(DECODE_FAILURE)) {
      await job.remove().catch(() => {}); // not taken yet: nobody should measure it after we gave up
      throw new HttpError(503, `No worker answered within ${Math.round(timeoutMs / 1000)} s: the workers are busy or stopped. Try again later.`);
    }
    if (message.startsWith(DECODE_FAILURE)) throw new HttpError(400, message);
    throw new HttpError(500, `The worker could not measure the frame: ${message}`);
  }
}

export async function closeFrameQueue(): Promise<void> {
  const [q, e] = [queue, events];
  queue = events = null;
  await Promise.allSettled([q?.close(), e?.close()]);
}
