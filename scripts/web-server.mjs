/**
 * The web app's production server (what `npm start`, the tests and deploy/Dockerfile run):
 * Next.js's own request handler behind a plain Node HTTP server, so that the routes a player calls many
 * times a second can be answered without Next.js's router (lib/http/direct-routes.ts explains which and
 * why). Everything else, pages included, is Next.js's as with `next start`.
 *
 * Plain JavaScript on purpose: it loads no module of the app itself (Next.js loads the built app), so it
 * runs without tsx, also in a production install. `node scripts/web-server.mjs [-p PORT] [-H HOST]`
 * (defaults: $PORT or 3000, all interfaces; $HOSTNAME is not read: shells and containers set it to the
 * machine's name, which would bind only that address). SIGTERM/SIGINT stop it (open requests get 2 s).
 * Next to it runs its tool helper (lib/process/tool-runner.mjs), which starts ffprobe/ffmpeg for it.
 */
import http from 'node:http';
import path from 'node:path';
import next from 'next';
import { startToolRunner } from '../lib/process/tool-runner.mjs';

const args = process.argv.slice(2);
const flag = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const port = Number(flag('-p') ?? process.env.PORT ?? 3000);
const hostname = flag('-H');
const DIRECT = Symbol.for('motion-coach.direct-routes');

// ffprobe/ffmpeg for the upload checks are started by a helper forked now, while this process is small
// (lib/process/tool-runner.mjs: a fork from the loaded server stalls every request for 40-140 ms)
startToolRunner();

const app = next({ dev: false, dir: path.resolve(import.meta.dirname, '..'), hostname: hostname ?? 'localhost', port });
const handle = app.getRequestHandler();
await app.prepare();

const server = http.createServer((req, res) => {
  // registered by the app's route modules once Next.js has loaded them (lib/http/direct-routes.ts)
  const direct = globalThis[DIRECT];
  if (direct && direct.dispatch(req, res)) return;
  handle(req, res).catch((err) => {
    process.stderr.write(`[web] ${err?.stack ?? err}\n`);
    if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
    res.end('Internal Server Error');
  });
});
// uploads of a few GiB over a slow line take longer than Node's default of 5 minutes per request
server.requestTimeout = 0;
server.listen(port, hostname, () => {
  process.stdout.write(`[web] ready on http://${hostname ?? 'localhost'}:${port}\n`);
});

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  // stop accepting and give open requests 2 s to finish (live event streams never do), then exit
  server.close(() => process.exit(0));
  server.closeIdleConnections();
  setTimeout(() => process.exit(0), 2000).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
