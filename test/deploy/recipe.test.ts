import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';

/**
 * What can be checked of deploy/ without a container engine (none runs on these machines): the compose
 * file and the Prometheus config parse and say what the README promises, every file they and the
 * Dockerfiles name exists, and each Dockerfile's instructions are known ones. Building the images and
 * starting the stack is NOT checked here.
 */
const ROOT = path.resolve(import.meta.dirname, '..', '..');
const DEPLOY = path.join(ROOT, 'deploy');
const yaml = (file: string) =>
  JSON.parse(execFileSync('/usr/bin/python3', ['-c', 'import json,sys,yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))', file]).toString());

it('compose.yaml: web, CPU and GPU workers, MongoDB, Redis, Prometheus; health checks, volumes, an NVIDIA reservation, GridFS storage', () => {
  const c = yaml(path.join(DEPLOY, 'compose.yaml'));
  expect(Object.keys(c.services).sort()).toEqual(['mongodb', 'prometheus', 'redis', 'web', 'worker-cpu', 'worker-gpu']);
  for (const [name, s] of Object.entries<Record<string, any>>(c.services)) {
    expect(s.healthcheck?.test, `${name} has a health check`).toBeTruthy();
    expect(s.volumes?.length, `${name} has a volume`).toBeGreaterThan(0);
    for (const v of s.volumes as string[]) {
      const src = v.split(':')[0]!;
      if (src.startsWith('.')) expect(fs.existsSync(path.join(DEPLOY, src)), `${name}: ${src} exists`).toBe(true);
      else expect(Object.keys(c.volumes), `${name}: volume ${src} declared`).toContain(src);
    }
    if (s.build) expect(fs.existsSync(path.join(DEPLOY, s.build.context, s.build.dockerfile)), `${name}: ${s.build.dockerfile}`).toBe(true);
  }
  const gpu = c.services['worker-gpu'];
  expect(gpu.deploy.resources.reservations.devices[0]).toMatchObject({ driver: 'nvidia', capabilities: ['gpu'] });
  for (const name of ['web', 'worker-cpu', 'worker-gpu']) {
    const env = c.services[name].environment;
    expect(env.STORAGE).toBe('gridfs');
    expect(env.MONGODB_URI).toMatch(/^mongodb:\/\//);
    expect(env.REDIS_URL).toMatch(/^redis:\/\//);
  }
  expect(c.services['worker-cpu'].environment.WORKER_METRICS_PORT).toBe('9464');
});

it('prometheus.yml scrapes the web app and the workers where they serve metrics', () => {
  const p = yaml(path.join(DEPLOY, 'prometheus.yml'));
  const jobs = Object.fromEntries(p.scrape_configs.map((j: any) => [j.job_name, j]));
  expect(jobs['motion-coach-web'].metrics_path).toBe('/api/metrics');
  expect(jobs['motion-coach-web'].static_configs[0].targets).toEqual(['web:3000']);
  expect(jobs['motion-coach-worker'].static_configs[0].targets).toEqual(['worker-cpu:9464', 'worker-gpu:9464']);
  // Debian's promtool, when installed, checks it the way Prometheus will read it
  if (fs.existsSync('/usr/bin/promtool')) execFileSync('/usr/bin/promtool', ['check', 'config', path.join(DEPLOY, 'prometheus.yml')]);
});

it('Dockerfiles use known instructions and copy/run only what exists', () => {
  const known = new Set(['FROM', 'RUN', 'COPY', 'ENV', 'WORKDIR', 'USER', 'VOLUME', 'EXPOSE', 'CMD', 'ARG', 'HEALTHCHECK', 'LABEL', 'ENTRYPOINT']);
  for (const file of ['Dockerfile', 'Dockerfile.gpu']) {
    const text = fs.readFileSync(path.join(DEPLOY, file), 'utf8').replace(/\\\n/g, ' ');
    const lines = text.split('\n').filter((l) => l.trim() && !l.trim().startsWith('#'));
    for (const l of lines) expect(known.has(l.trim().split(/\s+/)[0]!), `${file}: ${l}`).toBe(true);
    expect(lines[0]).toMatch(/^FROM /);
    expect(text).toMatch(/CMD \[/);
    expect(fs.existsSync(path.join(DEPLOY, `${file}.dockerignore`))).toBe(true);
  }
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  expect(pkg.scripts.worker).toBeTruthy();
  expect(fs.readFileSync(path.join(DEPLOY, 'Dockerfile.gpu'), 'utf8')).toMatch(/PHALP_DIR=\/opt\/4D-Humans/);
});
