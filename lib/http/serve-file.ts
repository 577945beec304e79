import fs from 'node:fs';
import fsp from 'node:fs/promises';
import { Readable } from 'node:stream';

/**
 * Serves a file with HTTP Range support (the video element seeks with Range requests; Safari requires
 * them). One range per request, which is what browsers ask for.
 */
export async function serveFile(request: Request, file: string, contentType: string, extraHeaders: Record<string, string> = {}): Promise<Response> {
  let stat: fs.Stats;
  try {
    stat = await fsp.stat(file);
  } catch {
    return new Response(JSON.stringify({ error: 'The file is not there (any more).' }), { status: 404, headers: { 'content-type': 'application/json' } });
  }
  const size = stat.size;
  const etag = `"${size.toString(16)}-${Math.floor(stat.mtimeMs).toString(16)}"`;
  const base: Record<string, string> = {
    'content-type': contentType,
    'accept-ranges': 'bytes',
    etag,
    'last-modified': stat.mtime.toUTCString(),
    'cache-control': 'private, max-age=3600',
    ...extraHeaders,
  };
  if (request.headers.get('if-none-match') === etag) return new Response(null, { status: 304, headers: base });

  const range = request.headers.get('range');
  if (range) {
    const m = /^bytes=(\d*)-(\d*)$/.exec(range.trim());
    let start: number;
    let end: number;
    if (!m || (m[1] === '' && m[2] === '')) return rangeNotSatisfiable(size, base);
    if (m[1] === '') {
      // suffix range: the last N bytes
      start = Math.max(0, size - Number(m[2]));
      end = size - 1;
    } else {
      start = Number(m[1]);
      end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
    }
    if (start >= size || start > end) return rangeNotSatisfiable(size, base);
    return new Response(stream(file, start, end), {
      status: 206,
      headers: { ...base, 'content-range': `bytes ${start}-${end}/${size}`, 'content-length': String(end - start + 1) },
    });
  }
  if (request.method === 'HEAD') return new Response(null, { status: 200, headers: { ...base, 'content-length': String(size) } });
  return new Response(stream(file, 0, size - 1), { status: 200, headers: { ...base, 'content-length': String(size) } });
}

function rangeNotSatisfiable(size: number, base: Record<string, string>): Response {
  return new Response(null, { status: 416, headers: { ...base, 'content-range': `bytes */${size}` } });
}

function stream(file: string, start: number, end: number): ReadableStream<Uint8Array> {
  return Readable.toWeb(fs.createReadStream(file, { start, end })) as ReadableStream<Uint8Array>;
}
