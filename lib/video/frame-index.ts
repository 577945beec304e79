import { readFile, rename, writeFile } from 'node:fs/promises';
import type { FrameIndex } from './types';

/** Writes frames.json atomically (temp file + rename), so a reader never sees half a file. */
export async function writeFrameIndex(file: string, index: FrameIndex): Promise<void> {
  checkFrameIndex(index, file);
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(index));
  await rename(tmp, file);
}

export async function readFrameIndex(file: string): Promise<FrameIndex> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new Error(`cannot read frame index ${file}: ${(err as Error).message}`);
  }
  checkFrameIndex(parsed as FrameIndex, file);
  return parsed as FrameIndex;
}

/** The invariants the player and the runners rely on: one pts per frame, starting at 0, never going back. */
export function checkFrameIndex(index: FrameIndex, where: string): void {
  const problems: string[] = [];
  if (!index || typeof index !== 'object') throw new Error(`frame index ${where}: not an object`);
  if (!Number.isInteger(index.frameCount) || index.frameCount < 0) problems.push('frameCount is not a count');
  for (const k of ['width', 'height', 'fps'] as const) {
    if (typeof index[k] !== 'number' || !(index[k] >= 0)) problems.push(`${k} is not a number >= 0`);
  }
  if (!Array.isArray(index.pts)) problems.push('pts is not an array');
  else {
    if (index.pts.length !== index.frameCount) problems.push(`pts has ${index.pts.length} entries for ${index.frameCount} frames`);
    if (index.pts.length > 0 && index.pts[0] !== 0) problems.push('pts[0] is not 0');
    for (let i = 1; i < index.pts.length; i++) {
      if (!(index.pts[i]! >= index.pts[i - 1]!)) {
        problems.push(`pts goes back at frame ${i}`);
        break;
      }
    }
  }
  if (problems.length) throw new Error(`frame index ${where} is invalid: ${problems.join('; ')}`);
}
