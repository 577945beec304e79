// CPU profile of a process the load bench starts (bench/load.bench.ts, BENCH_WEB_PROFILE=<dir>): loaded
// with NODE_OPTIONS=--require (Node 20 does not allow --cpu-prof there). Profiles from the start; each
// SIGUSR2 writes the profile so far to <dir>/<name>-<n>.cpuprofile and starts the next one.
const fs = require('node:fs');
const inspector = require('node:inspector');
const path = require('node:path');

const dir = process.env.BENCH_PROFILE_DIR;
const name = process.env.MC_PROCESS_NAME || 'process';
const session = new inspector.Session();
session.connect();
let n = 0;
session.post('Profiler.enable', () => session.post('Profiler.setSamplingInterval', { interval: 500 }, () => session.post('Profiler.start')));
process.on('SIGUSR2', () => {
  session.post('Profiler.stop', (err, result) => {
    if (!err) fs.writeFileSync(path.join(dir, `${name}-${n++}.cpuprofile`), JSON.stringify(result.profile));
    session.post('Profiler.start');
  });
});
