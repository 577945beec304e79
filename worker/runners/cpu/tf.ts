import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

/**
 * TensorFlow.js on its WebAssembly backend, set up once per process.
 *
 * Why tfjs + wasm directly instead of @vladmandic/human's pipeline: Human's BlazePose wrapper reads the
 * world landmarks with the wrong stride (5 floats per point instead of 3) and crops without rotation
 * or aspect care, so its 3D output is unusable. We only need its model files, which are plain
 * TensorFlow.js graph models; loading them from disk needs no fetch shim.
 */

const require = createRequire(import.meta.url);
let ready: Promise<void> | null = null;

export function initTf(threads = 2): Promise<void> {
  ready ??= (async () => {
    // the wasm binaries sit next to the backend's own bundle
    const wasmDir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm'));
    setWasmPaths(wasmDir + path.sep);
    // wasm threads need Web Workers; in Node XNNPACK then runs single-threaded unless threads work
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    wasm.setThreadsCount(threads);
    if (!(await tf.setBackend('wasm'))) throw new Error('TensorFlow.js wasm backend failed to initialise');
    await tf.ready();
  })();
  return ready;
}

/** Load a TensorFlow.js graph model (model.json + its .bin shards) from a folder on disk. */
export async function loadGraphModel(dir: string, name: string): Promise<tf.GraphModel> {
  const jsonPath = path.join(dir, `${name}.json`);
  const modelJSON = JSON.parse(await readFile(jsonPath, 'utf8')) as tf.io.ModelJSON;
  const handler: tf.io.IOHandler = {
    load: () =>
      tf.io.getModelArtifactsForJSON(modelJSON, async (manifest) => {
        const specs: tf.io.WeightsManifestEntry[] = [];
        const buffers: ArrayBuffer[] = [];
        for (const group of manifest) {
          specs.push(...group.weights);
          for (const p of group.paths) {
            const b = await readFile(path.join(dir, p));
            buffers.push(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer);
          }
        }
        return [specs, tf.io.concatenateArrayBuffers(buffers)];
      }),
  };
  return tf.loadGraphModel(handler);
}

export { tf };

/** What the runner needs of a loaded model. */
export type GraphModelLike = Pick<tf.GraphModel, 'execute'>;
