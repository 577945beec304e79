/**
 * The warm PHALP service (worker/runners/phalp/service.py + service.ts) against the TEST DOUBLE of
 * 4D-Humans (test/fixtures/phalp-double): models "load" once (a simulated delay), jobs run one after
 * another, failures keep their classified messages, a dead or hung service is killed and restarted and
 * its job retried, cancel stops a job within seconds without reloading the models, and PHALP_MODE=auto
 * falls back to spawning track.py when the service cannot start.
 */
import fs from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FrameIndex } from '../../lib/video/types';
import { createPhalpRunner, type PhalpRunner } from '../../worker/runners/phalp/index';
import { RunnerError } from '../../worker/runners/types';
import { clipFor, liveInGroup, makeFrames, phalpConfig, pidAlive, readJson, recordingContext, tempDir, withDoubleEnv } from './helpers';

const LOAD_SECONDS = 2;
let root: string;
let frames: string;
let index: FrameIndex;
let runs = 0;
const runners: PhalpRunner[] = [];

function runner(env: Record<string, string> = {}, opts: Parameters<typeof createPhalpRunner>[1] = {}, mode = 'service') {
  const r = createPhalpRunner(phalpConfig({ PHALP_MODE: mode, ...env }), { killGraceMs: 1000, ...opts });
  runners.push(r);
  return r;
}

const work = () => path.join(root, 'runs', String(++runs));

async function rejection(p: Promise<unknown>): Promise<RunnerError> {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(RunnerError);
  return err as RunnerError;
}

beforeAll(async () => {
  root = await tempDir('phalp-service-');
  frames = path.join(root, 'clip', 'frames');
  index = await makeFrames(frames, 30, 320, 240);
});
afterEach(async () => {
  await Promise.all(runners.splice(0).map((r) => r.close()));
});
afterAll(() => rm(root, { recursive: true, force: true }));

describe('warm PHALP service', () => {
  it('loads the models once and runs jobs one after another; spawn pays the load every job', async () => {
    const env = { PHALP_DOUBLE_LOAD_SECONDS: String(LOAD_SECONDS), PHALP_DOUBLE_FPS: '200' };
    await withDoubleEnv(env, async () => {
      const warm = runner();
      const times: number[] = [];
      for (let i = 0; i < 3; i++) {
        const t0 = Date.now();
        const seq = await warm.run(clipFor(frames, index, work()), recordingContext().ctx);
        times.push((Date.now() - t0) / 1000);
        expect(seq.frames).toHaveLength(30);
        expect(seq.frames.some((f) => f.persons.length > 0)).toBe(true);
      }
      const info = await warm.describe();
      expect(info).toMatchObject({ phalpMode: 'service', modelsLoaded: true, modelLoads: 1, serviceRestarts: 0 });
      expect(info.modelLoadSeconds).toBeGreaterThanOrEqual(LOAD_SECONDS);
      // jobs 2 and 3 do not load anything
      expect(times[1]).toBeLessThan(LOAD_SECONDS);
      expect(times[2]).toBeLessThan(LOAD_SECONDS);

      const cold = runner({}, {}, 'spawn');
      const t0 = Date.now();
      await cold.run(clipFor(frames, index, work()), recordingContext().ctx);
      const spawnSeconds = (Date.now() - t0) / 1000;
      expect(spawnSeconds).toBeGreaterThanOrEqual(LOAD_SECONDS);
      expect(await cold.describe()).toMatchObject({ phalpMode: 'spawn', modelsLoaded: false, modelLoads: 1 });
      console.log(`[figures] warm service: first job ${times[0].toFixed(2)} s (load included), then ${times[1].toFixed(2)} s, ${times[2].toFixed(2)} s; spawn: ${spawnSeconds.toFixed(2)} s per job (simulated load ${LOAD_SECONDS} s)`);
    });
  }, 120_000);

  it('reports PHALP loading lines, then tracking progress, and writes the job log to track.log', async () => {
    const r = runner();
    const { ctx, events } = recordingContext();
    const dir = work();
    await r.run(clipFor(frames, index, dir), ctx);
    expect(events.some((e) => e.stage === 'loading-model' && /Loading/.test(e.logLine ?? ''))).toBe(true);
    const tracking = events.filter((e) => e.stage === 'tracking');
    expect(tracking.at(-1)!.progress).toBe(1);
    const log = await readFile(path.join(dir, 'track.log'), 'utf8');
    expect(log).toMatch(/Tracking : frames/);
  }, 60_000);

  it('a failure inside the frame loop keeps its classified message, and the service stays warm', async () => {
    await withDoubleEnv({ PHALP_DOUBLE_MODE: 'crash-in-loop', PHALP_DOUBLE_ERROR: 'oom' }, async () => {
      const r = runner();
      const err = await rejection(r.run(clipFor(frames, index, work()), recordingContext().ctx));
      expect(err.code).toBe('gpu_out_of_memory');
      expect(err.options.logTail!.join('\n')).toMatch(/CUDA out of memory/);
      expect(await r.describe()).toMatchObject({ modelsLoaded: true, modelLoads: 1 });
      // a source PHALP rejects (raised before its loop) is reported as before, on the same service
      const bad = await rejection(r.run(clipFor(path.join(root, 'nothing-here'), index, work()), recordingContext().ctx));
      expect(bad.code).toBe('invalid_source');
      expect(await r.describe()).toMatchObject({ modelLoads: 1 });
    });
  }, 60_000);

  it('PHALP_MODE=service: a service that cannot load its models fails the job with the classified reason', async () => {
    await withDoubleEnv({ PHALP_DOUBLE_MODE: 'fail-before-loop', PHALP_DOUBLE_ERROR: 'smpl' }, async () => {
      const err = await rejection(runner().run(clipFor(frames, index, work()), recordingContext().ctx));
      expect(err.code).toBe('smpl_missing');
    });
  }, 60_000);

  it('PHALP_MODE=auto: falls back to spawning track.py when the service cannot start, and says why', async () => {
    await withDoubleEnv({ PHALP_DOUBLE_NO_COMPOSE: '1' }, async () => {
      const r = runner({ PHALP_MODE: 'auto' });
      const { ctx, events } = recordingContext();
      const seq = await r.run(clipFor(frames, index, work()), ctx);
      expect(seq.frames).toHaveLength(30);
      const info = await r.describe();
      expect(info).toMatchObject({ phalpMode: 'spawn', phalpModeSetting: 'auto', modelsLoaded: false, modelLoads: 1 });
      expect(String(info.serviceNote)).toMatch(/could not start.*cannot import name 'compose'/);
      expect(events.some((e) => /could not start/.test(e.logLine ?? ''))).toBe(true);
    });
  }, 60_000);

  it('a service that dies mid-job is restarted and the job retried', async () => {
    const marker = path.join(root, `die-once-${Date.now()}`);
    await withDoubleEnv({ PHALP_DOUBLE_DIE_ONCE: marker }, async () => {
      const r = runner();
      const { ctx, events } = recordingContext();
      const seq = await r.run(clipFor(frames, index, work()), ctx);
      expect(seq.frames).toHaveLength(30);
      expect(fs.existsSync(marker)).toBe(true); // it did die once
      expect(await r.describe()).toMatchObject({ modelsLoaded: true, modelLoads: 2, serviceRestarts: 1 });
      expect(events.some((e) => /Restarting the PHALP service/.test(e.logLine ?? ''))).toBe(true);
    });
  }, 60_000);

  it('a hung service (no new output) is killed with its children, restarted, retried, then reported', async () => {
    await withDoubleEnv({ PHALP_DOUBLE_MODE: 'hang' }, async () => {
      const r = runner({}, { stallMs: 2500 });
      const dir = work();
      const t0 = Date.now();
      const err = await rejection(r.run(clipFor(frames, index, dir), recordingContext().ctx));
      expect(err.code).toBe('phalp_hung');
      expect(Date.now() - t0).toBeLessThan(30_000);
      const pids = await readJson<{ pgid: number; children: number[] }>(path.join(dir, 'double-pids.json'));
      for (const child of pids.children) expect(await pidAlive(child)).toBe(false);
      expect(await liveInGroup(pids.pgid)).toEqual([]);
    });
  }, 60_000);

  it('cancel stops the running job within seconds and keeps the models loaded', async () => {
    await withDoubleEnv({ PHALP_DOUBLE_FPS: '10' }, async () => {
      const r = runner();
      const controller = new AbortController();
      const { ctx, events } = recordingContext(controller.signal);
      const running = r.run(clipFor(frames, index, work()), ctx);
      while (!events.some((e) => e.stage === 'tracking' && e.progress > 0)) await new Promise((res) => setTimeout(res, 50));
      const t0 = Date.now();
      controller.abort();
      const err = await rejection(running);
      expect(err.code).toBe('canceled');
      expect(Date.now() - t0).toBeLessThan(5000);
      expect(await r.describe()).toMatchObject({ modelsLoaded: true, modelLoads: 1 });
      // the same service takes the next job without loading again
      const seq = await r.run(clipFor(frames, index, work()), recordingContext().ctx);
      expect(seq.frames).toHaveLength(30);
      expect(await r.describe()).toMatchObject({ modelLoads: 1 });
    });
  }, 90_000);
});
