import { parentPort } from 'node:worker_threads';
import type { PersonPose } from '../../../lib/pose/types';
import { FrameAnalyser, type AnalyserConfig } from './analyser';

/**
 * Worker-thread side of the still-image analyser (single-frame.ts): the models are loaded once and
 * kept; every image gets a fresh tracker (images are unrelated: no identity carries over).
 */
export type ToStillThread = { id: number; config: AnalyserConfig; data: Uint8Array };
export type FromStillThread = { id: number; persons: PersonPose[] } | { id: number; error: string };

const port = parentPort!;
let models: ReturnType<typeof FrameAnalyser.loadModels> | null = null;
let queue: Promise<void> = Promise.resolve();

port.on('message', (msg: ToStillThread) => {
  queue = queue.then(async () => {
    try {
      models ??= FrameAnalyser.loadModels(msg.config);
      const analyser = FrameAnalyser.withModels(msg.config, await models);
      port.postMessage({ id: msg.id, persons: await analyser.analyse(0, msg.data) } satisfies FromStillThread);
    } catch (err) {
      port.postMessage({ id: msg.id, error: (err as Error)?.message ?? String(err) } satisfies FromStillThread);
    }
  });
});
