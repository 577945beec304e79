import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/**
 * A lock between processes on one machine (e.g. a test run and a CI step both preparing the
 * mongod cache): `mkdir` is atomic, so whoever creates the lock directory owns it. The owner's pid is
 * written inside so a lock left by a killed process is recognised and taken over.
 */

export interface DirLockOptions {
  /** give up waiting after this long (default 10 min: the holder may be downloading) */
  timeoutMs?: number;
  /** a lock older than this is considered abandoned even if its pid looks alive (default 15 min) */
  staleMs?: number;
}

export async function withDirLock<T>(lockPath: string, work: () => Promise<T>, opts: DirLockOptions = {}): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 10 * 60_000;
  const staleMs = opts.staleMs ?? 15 * 60_000;
  const deadline = Date.now() + timeoutMs;
  await fs.mkdir(path.dirname(lockPath), { recursive: true });
  for (;;) {
    try {
      await fs.mkdir(lockPath);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    if (await isAbandoned(lockPath, staleMs)) {
      // rename first so that two processes seeing the same abandoned lock do not both delete a fresh one
      const trash = `${lockPath}.stale-${process.pid}-${Date.now()}`;
      await fs.rename(lockPath, trash).then(() => fs.rm(trash, { recursive: true, force: true }), () => {});
      continue;
    }
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for the lock ${lockPath} (delete it if no other process is using it)`);
    await new Promise((r) => setTimeout(r, 250));
  }
  try {
    await fs.writeFile(path.join(lockPath, 'owner.json'), JSON.stringify({ pid: process.pid, host: os.hostname(), at: Date.now() }));
    return await work();
  } finally {
    await fs.rm(lockPath, { recursive: true, force: true });
  }
}

async function isAbandoned(lockPath: string, staleMs: number): Promise<boolean> {
  let owner: { pid?: number; host?: string; at?: number };
  try {
    owner = JSON.parse(await fs.readFile(path.join(lockPath, 'owner.json'), 'utf8'));
  } catch {
    // the owner file is written right after mkdir: without it, judge by the directory's age
    const stat = await fs.stat(lockPath).catch(() => null);
    return stat !== null && Date.now() - stat.mtimeMs > 30_000;
  }
  if (typeof owner.at === 'number' && Date.now() - owner.at > staleMs) return true;
  if (owner.host !== os.hostname() || typeof owner.pid !== 'number') return false;
  try {
    process.kill(owner.pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
