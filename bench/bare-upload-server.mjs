// The baseline of the upload benchmark (bench/upload-throughput.ts): a bare Node HTTP server that does
// only what an upload must do at least, sha256 of the bytes and a write to disk, with no multipart
// parsing, no framework and no database. Usage: node bench/bare-upload-server.mjs <dir>; prints its port.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

const dir = process.argv[2];
let n = 0;
const server = http.createServer(async (req, res) => {
  const file = path.join(dir, `bare-${process.pid}-${n++}.bin`);
  const hash = crypto.createHash('sha256');
  let bytes = 0;
  const hasher = new Transform({
    transform(chunk, _enc, cb) {
      hash.update(chunk);
      bytes += chunk.length;
      cb(null, chunk);
    },
  });
  try {
    await pipeline(req, hasher, fs.createWriteStream(file));
    res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ bytes, sha256: hash.digest('hex') }));
  } catch (err) {
    res.writeHead(500).end(String(err));
  } finally {
    fs.rmSync(file, { force: true });
  }
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`listening ${server.address().port}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
