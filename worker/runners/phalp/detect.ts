import { stat } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import type { Config } from '../../../lib/config';

export interface PhalpDetection {
  usable: boolean;
  /** why it is not usable (null when usable) */
  reason: string | null;
  /** `sys.version` of PHALP_PYTHON, when it ran */
  pythonVersion?: string;
}

/**
 * Files every 4D-Humans checkout has (and our test double imitates): `track.py` is what we run,
 * `hmr2/models/` the package it imports. Cheap checks only: importing torch would take seconds.
 */
const CHECKOUT_MARKERS: { rel: string; kind: 'file' | 'dir' }[] = [
  { rel: 'track.py', kind: 'file' },
  { rel: 'hmr2/models', kind: 'dir' },
];

const PYTHON_TIMEOUT_MS = 5000;

async function kindOf(p: string): Promise<'file' | 'dir' | null> {
  try {
    const s = await stat(p);
    return s.isDirectory() ? 'dir' : s.isFile() ? 'file' : null;
  } catch {
    return null;
  }
}

/** Is PHALP runnable here: PHALP_DIR holds a 4D-Humans checkout and PHALP_PYTHON starts. */
export async function detectPhalp(config: Pick<Config, 'phalpDir' | 'phalpPython'>): Promise<PhalpDetection> {
  const dir = config.phalpDir;
  if (!dir) return { usable: false, reason: 'PHALP_DIR is not set (it should point to a 4D-Humans checkout)' };
  if ((await kindOf(dir)) !== 'dir') return { usable: false, reason: `PHALP_DIR=${dir} is not a folder` };
  for (const marker of CHECKOUT_MARKERS) {
    if ((await kindOf(path.join(dir, marker.rel))) !== marker.kind) {
      return { usable: false, reason: `PHALP_DIR=${dir} is not a 4D-Humans checkout (no ${marker.rel})` };
    }
  }
  const python = await execa(config.phalpPython, ['-c', 'import sys; print(sys.version)'], {
    cwd: dir,
    timeout: PYTHON_TIMEOUT_MS,
    reject: false,
    stdin: 'ignore',
  });
  if (python.timedOut) {
    return { usable: false, reason: `PHALP_PYTHON=${config.phalpPython} did not answer within ${PYTHON_TIMEOUT_MS / 1000} s` };
  }
  if (python.exitCode === undefined) {
    return { usable: false, reason: `PHALP_PYTHON=${config.phalpPython} could not be started (${python.code ?? python.shortMessage})` };
  }
  if (python.exitCode !== 0) {
    const err = String(python.stderr ?? '').trim().split('\n').slice(-1)[0];
    return { usable: false, reason: `PHALP_PYTHON=${config.phalpPython} failed with exit code ${python.exitCode}: ${err}` };
  }
  return { usable: true, reason: null, pythonVersion: String(python.stdout).trim().split('\n')[0] };
}
