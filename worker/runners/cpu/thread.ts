import { parentPort } from 'node:worker_threads';
import { FrameAnalyser, type AnalyserConfig } from './analyser';

/**
 * Worker-thread side of the CPU runner: runs the models on frames the main thread sends (the main
 * thread owns ffmpeg, so a canceled run never leaves a decoder behind a terminated thread).
 *
 * A thread outlives its run: its models stay loaded (`load` at worker start, or the first `init`), and
 * each `init` starts a fresh tracker over them for the next run of frames (warm: no model load per job).
 */
export type ToThread =
  | { type: 'load'; config: Pick<AnalyserConfig, 'modelDir' | 'landmarkModel'> }
  | { type: 'init'; config: AnalyserConfig }
  | { type: 'frame'; index: number; data: Uint8Array }
  | { type: 'end' };
export type FromThread =
  | { type: 'loaded' }
  | { type: 'ready' }
  | { type: 'result'; index: number; persons: import('../../../lib/pose/types').PersonPose[] }
  | { type: 'done'; calls: { landmarks: number; detector: number } }
  | { type: 'error'; message: string; stack?: string };

const port = parentPort!;
let analyser: Promise<FrameAnalyser> | null = null;
/** the loaded models and what they are */
let models: { key: string; loaded: ReturnType<typeof FrameAnalyser.loadModels> } | null = null;
// frames are handled strictly in order: the tracker carries state from one frame to the next
let queue: Promise<void> = Promise.resolve();

const send = (m: FromThread) => port.postMessage(m);
const fail = (err: unknown) => send({ type: 'error', message: (err as Error)?.message ?? String(err), stack: (err as Error)?.stack });

function modelsFor(config: Pick<AnalyserConfig, 'modelDir' | 'landmarkModel'>) {
  const key = `${config.modelDir}|${config.landmarkModel}`;
  if (models?.key !== key) models = { key, loaded: FrameAnalyser.loadModels(config) };
  return models.loaded;
}

port.on('message', (msg: ToThread) => {
  if (msg.type === 'load') {
    modelsFor(msg.config).then(() => send({ type: 'loaded' }), fail);
    return;
  }
  if (msg.type === 'init') {
    const config = msg.config;
    analyser = modelsFor(config).then((m) => FrameAnalyser.withModels(config, m));
    analyser.then(() => send({ type: 'ready' }), fail);
    return;
  }
  queue = queue.then(async () => {
    const a = await analyser!;
    if (msg.type === 'frame') send({ type: 'result', index: msg.index, persons: await a.analyse(msg.index, msg.data) });
    else send({ type: 'done', calls: { ...a.calls } });
  }).catch(fail);
});
