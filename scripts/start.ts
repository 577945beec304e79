/**
 * `npm start`: the whole product on one machine.
 *
 * Validates the configuration, starts MongoDB and Redis when MONGODB_URI / REDIS_URL are not set
 * (data under DATA_DIR, kept across restarts), builds the web app when its build is missing or older
 * than the sources, then runs the Next.js server and one worker process and prints the URL.
 * Ctrl-C (or SIGTERM) stops all of it cleanly: the worker finishes or hands back its job, then the
 * servers stop.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError, loadConfig } from '../lib/config';
import { startEmbeddedMongo, superviseMongo } from './services/mongo';
import { startEmbeddedRedis } from './services/redis';
import { checkSystemPrograms } from './services/system-check';
import { buildIsStale } from './services/web-processes';

const root = path.resolve(import.meta.dirname, '..');
const say = (msg: string) => process.stdout.write(`[start] ${msg}\n`);

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: root, env, stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${path.basename(cmd)} ${args.join(' ')} exited with ${code}`))));
  });
}

async function waitForHttp(url: string, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    try {
      const res = await fetch(url);
      if (res.status < 500 || res.status === 503) return true;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  return false;
}

async function main() {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  try {
    checkSystemPrograms(['ffmpeg', 'ffprobe', ...(config.redisUrl ? [] : ['redis-server'])]);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(2);
  }
  fs.mkdirSync(config.dataDir, { recursive: true });

  const stops: (() => Promise<void>)[] = [];
  // run first on shutdown, before the app and worker close their connections (a Wine mongod may crash
  // then, and must not be restarted just to be stopped)
  const quiesce: (() => Promise<void>)[] = [];
  let mongodbUri = config.mongodbUri;
  let redisUrl = config.redisUrl;
  if (!mongodbUri) {
    say(`starting embedded MongoDB (data in ${path.join(config.dataDir, 'mongodb')}) ...`);
    let mongo = await startEmbeddedMongo({ dbPath: path.join(config.dataDir, 'mongodb') });
    mongodbUri = mongo.uri;
    // a mongod that dies (Wine's last-resort server can) is started again on the same port and data
    const supervisor = superviseMongo(() => mongo, (m) => (mongo = m), undefined, say);
    quiesce.push(() => supervisor.stop());
    stops.unshift(async () => {
      await supervisor.stop();
      await mongo.stop();
    });
    say(`MongoDB ${mongo.kind} at ${mongo.uri}`);
  }
  if (!redisUrl) {
    const redis = await startEmbeddedRedis({ dir: path.join(config.dataDir, 'redis') });
    redisUrl = redis.url;
    stops.unshift(() => redis.stop());
    say(`Redis at ${redis.url} (append-only file in ${path.join(config.dataDir, 'redis')})`);
  }

  const env: NodeJS.ProcessEnv = { ...process.env, MONGODB_URI: mongodbUri, REDIS_URL: redisUrl, DATA_DIR: config.dataDir, PORT: String(config.port) };
  const nextBin = path.join(root, 'node_modules', 'next', 'dist', 'bin', 'next');
  if (buildIsStale()) {
    say('building the web app (first start or sources changed) ...');
    // a production install (`npm install --omit=dev`) lacks development packages whose types the tests'
    // files need: the type check is `npm test`'s job, so the build skips it there (next.config.mjs)
    const devDependencies = Object.keys(JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).devDependencies ?? {});
    const productionInstall = devDependencies.some((name) => !fs.existsSync(path.join(root, 'node_modules', name, 'package.json')));
    await run(process.execPath, [nextBin, 'build'], { ...env, NEXT_TELEMETRY_DISABLED: '1', ...(productionInstall ? { NEXT_SKIP_TYPECHECK: '1' } : {}) });
  }

  const children = new Set<ChildProcess>();
  let stopping = false;
  const startChild = (name: string, args: string[], restart: boolean) => {
    const child = spawn(process.execPath, args, { cwd: root, env: { ...env, MC_PROCESS_NAME: name, NEXT_TELEMETRY_DISABLED: '1' }, stdio: 'inherit' });
    children.add(child);
    child.on('exit', (code, signal) => {
      children.delete(child);
      if (stopping) return;
      if (restart && code !== 2) {
        say(`${name} exited (${signal ?? code}); restarting it in 2 s`);
        setTimeout(() => !stopping && startChild(name, args, restart), 2000);
      } else {
        say(`${name} exited (${signal ?? code})${code === 2 ? ': a configuration problem, see above' : ''}; stopping everything`);
        void shutdown(1);
      }
    });
    return child;
  };

  const shutdown = async (code = 0) => {
    if (stopping) return;
    stopping = true;
    say('stopping ...');
    for (const q of quiesce) await q().catch(() => {});
    const exits = [...children].map((c) => new Promise<void>((r) => (c.exitCode !== null ? r() : c.once('exit', () => r()))));
    for (const c of children) c.kill('SIGTERM');
    const hard = setTimeout(() => [...children].forEach((c) => c.kill('SIGKILL')), 90_000);
    await Promise.all(exits);
    clearTimeout(hard);
    for (const stop of stops) await stop().catch((e) => say(`stop failed: ${(e as Error).message}`));
    say('stopped');
    process.exit(code);
  };
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));

  // Next.js behind a plain Node server that answers the player's hot reads itself (lib/http/direct-routes.ts)
  startChild('web', [path.join(root, 'scripts', 'web-server.mjs'), '-p', String(config.port)], false);
  startChild('worker', ['--import', 'tsx', path.join(root, 'worker', 'main.ts')], true);

  const url = `http://localhost:${config.port}`;
  if (await waitForHttp(`${url}/api/health`, 120_000)) say(`ready: open ${url}`);
  else say(`the web app did not answer at ${url} within 2 minutes; see the log above`);
}

main().catch((err) => {
  process.stderr.write(`[start] ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
