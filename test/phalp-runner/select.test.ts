import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectPhalp } from '../../worker/runners/phalp/detect';
import { createPhalpRunner } from '../../worker/runners/phalp/index';
import { fallbackRunner, selectRunner } from '../../worker/runners/select';
import { RunnerError } from '../../worker/runners/types';
import { DOUBLE_DIR, PYTHON, phalpConfig, tempDir } from './helpers';

describe('detectPhalp', () => {
  it('accepts a checkout with track.py and hmr2/models and a python that starts', async () => {
    const d = await detectPhalp({ phalpDir: DOUBLE_DIR, phalpPython: PYTHON });
    expect(d).toMatchObject({ usable: true, reason: null });
    expect(d.pythonVersion).toMatch(/^3\.\d+\.\d+/);
  });

  it('says why it is not usable', async () => {
    const empty = await tempDir('phalp-detect-');
    expect(await detectPhalp({ phalpDir: null, phalpPython: PYTHON })).toMatchObject({ usable: false, reason: expect.stringContaining('PHALP_DIR is not set') });
    expect((await detectPhalp({ phalpDir: path.join(empty, 'nope'), phalpPython: PYTHON })).reason).toContain('is not a folder');
    expect((await detectPhalp({ phalpDir: empty, phalpPython: PYTHON })).reason).toContain('no track.py');
    await writeFile(path.join(empty, 'track.py'), '');
    expect((await detectPhalp({ phalpDir: empty, phalpPython: PYTHON })).reason).toContain('no hmr2/models');
    await mkdir(path.join(empty, 'hmr2', 'models'), { recursive: true });
    expect((await detectPhalp({ phalpDir: empty, phalpPython: '/nonexistent/python' })).reason).toMatch(/could not be started \(ENOENT\)/);
    const broken = path.join(empty, 'broken-python');
    await writeFile(broken, '#!/bin/sh\necho "no module named encodings" >&2\nexit 3\n');
    await chmod(broken, 0o755);
    expect((await detectPhalp({ phalpDir: empty, phalpPython: broken })).reason).toBe(`PHALP_PYTHON=${broken} failed with exit code 3: no module named encodings`);
    expect((await detectPhalp({ phalpDir: empty, phalpPython: PYTHON })).usable).toBe(true);
    await rm(empty, { recursive: true, force: true });
  });

  it('describe() reports what the worker heartbeat needs', async () => {
    expect(await createPhalpRunner(phalpConfig()).describe()).toMatchObject({ phalpDir: DOUBLE_DIR, phalpPython: PYTHON, phalpFound: true });
    const missing = await createPhalpRunner(phalpConfig({ PHALP_DIR: '/nonexistent/4D-Humans' })).describe();
    expect(missing).toMatchObject({ phalpFound: false, reason: expect.stringContaining('/nonexistent/4D-Humans') });
  });
});

describe('selectRunner / fallbackRunner', () => {
  it('auto picks PHALP when it is usable, else the CPU runner', async () => {
    expect((await selectRunner(phalpConfig({ POSE_RUNNER: 'auto' }))).kind).toBe('phalp');
    expect((await selectRunner(phalpConfig({ POSE_RUNNER: 'auto', PHALP_DIR: '' }))).kind).toBe('cpu');
    expect((await selectRunner(phalpConfig({ POSE_RUNNER: 'auto', PHALP_PYTHON: '/nonexistent/python' }))).kind).toBe('cpu');
  });

  it('phalp and cpu are taken as asked; phalp that is not usable is a clear error', async () => {
    expect((await selectRunner(phalpConfig({ POSE_RUNNER: 'cpu' }))).kind).toBe('cpu');
    expect((await selectRunner(phalpConfig({ POSE_RUNNER: 'phalp' }))).kind).toBe('phalp');
    const err = await selectRunner(phalpConfig({ POSE_RUNNER: 'phalp', PHALP_DIR: '/nonexistent/4D-Humans' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RunnerError);
    expect((err as RunnerError).message).toContain('/nonexistent/4D-Humans is not a folder');
  });

  it('falls back to the CPU runner only with POSE_FALLBACK=cpu and never from CPU to CPU', async () => {
    expect(fallbackRunner(phalpConfig())).toBeNull();
    const phalp = createPhalpRunner(phalpConfig());
    expect(fallbackRunner(phalpConfig({ POSE_FALLBACK: 'cpu' }), phalp)?.kind).toBe('cpu');
    const cpu = fallbackRunner(phalpConfig({ POSE_FALLBACK: 'cpu' }))!;
    expect(fallbackRunner(phalpConfig({ POSE_FALLBACK: 'cpu' }), cpu)).toBeNull();
  });
});
