import type { Config } from '../../lib/config';
import { createCpuRunner } from './cpu/index';
import { createPhalpRunner, detectPhalp, type PhalpRunner } from './phalp/index';
import { RunnerError, type PoseRunner } from './types';

/**
 * One PHALP runner per configuration (the worker's config is one object for its whole life): the
 * pipeline asks for the runner at every job, and a warm PHALP service must outlive the job.
 */
const phalpRunners = new WeakMap<Config, PhalpRunner>();
function phalpRunner(config: Config): PhalpRunner {
  let r = phalpRunners.get(config);
  if (!r) phalpRunners.set(config, (r = createPhalpRunner(config)));
  return r;
}

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
    return phalpRunner(config);
  }
  return (await detectPhalp(config)).usable ? phalpRunner(config) : createCpuRunner();
}

/**
 * The runner to try when the chosen one fails with `fallbackAllowed` (POSE_FALLBACK=cpu), or null.
 * No fallback from the CPU runner to itself.
 */
export function fallbackRunner(config: Config, failed?: PoseRunner): PoseRunner | null {
  if (config.poseFallback !== 'cpu' || failed?.kind === 'cpu') return null;
  return createCpuRunner();
}
