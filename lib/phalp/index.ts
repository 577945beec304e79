/**
 * lib/phalp: THE reader of PHALP results files. The worker calls readPhalpResults; nothing else parses
 * PHALP pickles. Node only (reads files, zlib).
 */
import { readJoblibFile, type PickleLimits } from '../pickle';
import type { PoseSequence } from '../pose/types';
import { normalizePhalpResults, type NormalizeOptions } from './normalize';

export { normalizePhalpResults, phalpIntrinsics, paddedSquare, PhalpResultsError, type NormalizeOptions } from './normalize';

export type ReadPhalpOptions = NormalizeOptions & PickleLimits;

/** Reads `results/demo_<name>.pkl` (zlib/gzip/plain joblib) into a PoseSequence. Throws PickleError or PhalpResultsError. */
export async function readPhalpResults(path: string, opts: ReadPhalpOptions = {}): Promise<PoseSequence> {
  const raw = await readJoblibFile(path, { source: path, ...opts });
  return normalizePhalpResults(raw, { source: path, ...opts });
}
