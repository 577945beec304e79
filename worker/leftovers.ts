import { execFile } from 'node:child_process';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { attemptLayout, clipLayout, workRoot } from '../lib/storage/layout';

const run = promisify(execFile);

/**
 * Kills processes left over from an earlier run of the same clip on this machine: when a worker is
 * killed (SIGKILL, OOM, power loss of the node process) its PHALP child keeps running — and holding the
 * GPU — while the job is taken up again. Their command line names the clip's runs folder (PHALP's
 * `video.output_dir=`), which is how they are found. Returns the pids it killed.
 */
export async function killLeftoverProcesses(runsDir: string): Promise<number[]> {
  let lines: string[];
  try {
    const { stdout } = await run('pgrep', ['-f', '--', runsDir]);
    lines = stdout.trim().split('\n').filter(Boolean);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
  const pids = lines.map(Number).filter((pid) => Number.isInteger(pid) && pid !== process.pid);
  for (const pid of pids) {
    try {
      // the runner starts PHALP as the leader of its own process group: take its children too
      process.kill(-pid, 'SIGKILL');
    } catch {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  }
  return pids;
}

/**
 * A fresh scratch folder for one attempt at a clip (worker-local, never shared): processes of earlier
 * attempts at the same clip on this machine are killed first, then the clip's old scratch goes. The
 * folder records its owner (host, pid) so a later start of a worker can tell it was abandoned.
 */
export async function prepareAttemptDir(dataDir: string, clipId: string, attempt: number): Promise<{ killed: number[] }> {
  const runsDir = clipLayout(dataDir, clipId).runsDir;
  const killed = await killLeftoverProcesses(runsDir);
  await fsp.rm(runsDir, { recursive: true, force: true });
  const dir = attemptLayout(dataDir, clipId, attempt);
  await fsp.mkdir(dir.dir, { recursive: true });
  await fsp.writeFile(dir.owner, JSON.stringify({ host: os.hostname(), pid: process.pid, startedAt: new Date().toISOString() }));
  return { killed };
}

/** Removes an attempt's scratch (and the clip's folder when nothing else is in it). */
export async function removeAttemptDir(dataDir: string, clipId: string, attempt: number): Promise<void> {
  await fsp.rm(attemptLayout(dataDir, clipId, attempt).dir, { recursive: true, force: true });
  await fsp.rmdir(clipLayout(dataDir, clipId).runsDir).catch(() => {});
}

/**
 * At a worker's start: scratch folders whose owner process on this host is gone (a worker killed with
 * SIGKILL, OOM, power loss) are removed, after killing processes still working in them. Folders of a
 * live process (another worker sharing this DATA_DIR) or of another host are left alone.
 */
export async function cleanAbandonedScratch(dataDir: string): Promise<{ removed: string[]; killed: number[] }> {
  const root = workRoot(dataDir);
  const removed: string[] = [];
  const killed: number[] = [];
  const clips = await fsp.readdir(root).catch(() => [] as string[]);
  for (const clipId of clips) {
    const clipDir = path.join(root, clipId);
    const attempts = await fsp.readdir(clipDir).catch(() => [] as string[]);
    for (const a of attempts) {
      const dir = path.join(clipDir, a);
      const owner = await fsp
        .readFile(path.join(dir, 'owner.json'), 'utf8')
        .then((t) => JSON.parse(t) as { host?: string; pid?: number })
        .catch(() => null);
      if (owner && owner.host !== os.hostname()) continue;
      if (owner?.pid && owner.pid !== process.pid && isAlive(owner.pid)) continue;
      killed.push(...(await killLeftoverProcesses(dir)));
      await fsp.rm(dir, { recursive: true, force: true });
      removed.push(dir);
    }
    await fsp.rmdir(clipDir).catch(() => {});
  }
  return { removed, killed };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
