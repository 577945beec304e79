import os from 'node:os';
import path from 'node:path';

/**
 * Machine-wide cache for things fetched or built once (the portable mongod, its Wine prefix), kept
 * outside the repository: $MOTION_COACH_CACHE_DIR, else $XDG_CACHE_HOME/motion-coach, else ~/.cache/motion-coach.
 */
export function motionCoachCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.MOTION_COACH_CACHE_DIR) return path.resolve(env.MOTION_COACH_CACHE_DIR);
  const base = env.XDG_CACHE_HOME ? path.resolve(env.XDG_CACHE_HOME) : path.join(env.HOME || os.homedir(), '.cache');
  return path.join(base, 'motion-coach');
}
