import { spawn } from 'node:child_process';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { killLeftoverProcesses } from '../../worker/leftovers';

it('kills a silent leftover process (and its group) whose command line names the clip runs folder', async () => {
  const runsDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'mc-runs-'));
  // like PHALP started by a worker that died: own process group, output dir under runsDir, prints nothing
  const child = spawn('/usr/bin/python3', ['-c', 'import time; time.sleep(600)', `video.output_dir=${runsDir}/attempt-1`], { detached: true, stdio: 'ignore' });
  const exited = new Promise((r) => child.once('exit', r));
  await new Promise((r) => setTimeout(r, 200));
  const killed = await killLeftoverProcesses(runsDir);
  expect(killed).toContain(child.pid);
  await exited;
  expect(await killLeftoverProcesses(runsDir)).toEqual([]);
  await fsp.rm(runsDir, { recursive: true, force: true });
});
