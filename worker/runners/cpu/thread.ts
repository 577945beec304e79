import { parentPort } from 'node:worker_threads';
import { FrameAnalyser, type AnalyserConfig } from './analyser';

/**
 * Worker-thread side of the CPU runner: runs the models on frames the main thread sends (the main
 * thread owns ffmpeg, so a canceled run never leaves a decoder behind a terminated thread).
 */
export type ToThread = { type: 'init'; config: AnalyserConfig } | { type: 'frame'; index: number; data: Uint8Array } | { type: 'end' };
export type FromThread =
  | { type: 'ready' }
  | { type: 'result'; index: number; persons: import('../../../lib/pose/types').PersonPose[] }
  | { type: 'done'; calls: { landmarks: number; detector: number } }
  | { type: 'error'; message: string; stack?: string };

const port = parentPort!;
let analyser: Promise<FrameAnalyser> | null = null;
// frames are handled strictly in order: the tracker carries state from one frame to the next
let queue: Promise<void> = Promise.resolve();

const send = (m: FromThread) => port.postMessage(m);
const fail = (err: unknown) => send({ type: 'error', message: (err as Error)?.message ?? String(err), stack: (err as Error)?.stack });

port.on('message', (msg: ToThread) => {
  if (msg.type === 'init') {
    analyser = FrameAnalyser.create(msg.config);
    analyser.then(() => send({ type: 'ready' }), fail);
    return;
  }
  queue = queue.then(async () => {
    const a = await analyser!;
    if (msg.type === 'frame') send({ type: 'result', index: msg.index, persons: await a.analyse(msg.index, msg.data) });
    else send({ type: 'done', calls: { ...a.calls } });
  }).catch(fail);
});
