import type { Config } from '../../lib/config';
import { createCpuRunner } from './cpu/index';
import { createPhalpRunner, detectPhalp } from './phalp/index';
import { RunnerError, type PoseRunner } from './types';

/**
 * Which runner this worker uses (POSE_RUNNER): `phalp` and `cpu` as asked; `auto` takes PHALP when
 * the checkout and its python are usable here, else the built-in CPU model.
 */
export async function selectRunner(config: Config): Promise<PoseRunner> {
  if (config.poseRunner === 'cpu') return createCpuRunner();
  if (config.poseRunner === 'phalp') {
    const found = await detectPhalp(config);
    if (!found.usable) {
      throw new RunnerError(`POSE_RUNNER=phalp but PHALP is not usable: ${found.reason}`, 'phalp_not_usable', { fallbackAllowed: false });
    }
    return createPhalpRunner(config);
  }
  return (await detectPhalp(config)).usable ? createPhalpRunner(config) : createCpuRunner();
}

/**
 * The runner to try when the chosen one fails with `fallbackAllowed` (POSE_FALLBACK=cpu), or null.
 * No fallback from the CPU runner to itself.
 */
export function fallbackRunner(config: Config, failed?: PoseRunner): PoseRunner | null {
  if (config.poseFallback !== 'cpu' || failed?.kind === 'cpu') return null;
  return createCpuRunner();
}
