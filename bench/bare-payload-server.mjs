// The load bench's client ceiling (bench/load.bench.ts): a bare Node HTTP server that answers every
// request with the same bytes from memory (the poses payload the app sent, with its Content-Encoding),
// so the client's own limit with this payload is measured in the same run as the app.
// Usage: node bench/bare-payload-server.mjs <file> [content-encoding]; prints its port.
import fs from 'node:fs';
import http from 'node:http';

const bytes = fs.readFileSync(process.argv[2]);
const encoding = process.argv[3];
const headers = { 'content-type': 'application/octet-stream', 'content-length': String(bytes.length), ...(encoding ? { 'content-encoding': encoding } : {}) };
const server = http.createServer((req, res) => {
  req.resume();
  res.writeHead(200, headers).end(bytes);
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`listening ${server.address().port}\n`));
process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
