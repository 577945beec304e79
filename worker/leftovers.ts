import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

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
