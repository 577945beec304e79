import { Readable } from 'node:stream';
import type { BlobInfo, BlobStore } from '../storage/blob-store';

/** What serveBlob reads from: a blob store, or bytes held in memory (memoryBlob, which also gives them whole). */
export type BlobSource = Pick<BlobStore, 'stat' | 'read'> & { bytes?(start: number, end: number): Uint8Array };

/**
 * Serves a blob of the store like a static file: ETag (If-None-Match -> 304), one HTTP Range per
 * request (206, or 416 when it cannot be satisfied), HEAD. The bytes are read from the store range by
 * range (GridFS reads only the chunks asked for), never loaded whole.
 */
export async function serveBlob(
  request: Request,
  store: BlobSource,
  key: string,
  contentType: string,
  extraHeaders: Record<string, string> = {},
): Promise<Response> {
  const info = await store.stat(key);
  if (!info) return new Response(JSON.stringify({ error: 'The file is not there (any more).' }), { status: 404, headers: { 'content-type': 'application/json' } });
  const size = info.size;
  const base: Record<string, string> = {
    'content-type': contentType,
    'accept-ranges': 'bytes',
    etag: info.etag,
    'last-modified': info.updatedAt.toUTCString(),
    'cache-control': 'private, max-age=3600',
    ...extraHeaders,
  };
  const inm = request.headers.get('if-none-match');
  if (inm && inm.split(',').some((t) => t.trim().replace(/^W\//, '') === info.etag)) return new Response(null, { status: 304, headers: base });

  const range = request.headers.get('range');
  // If-Range with another validator: the client's earlier bytes are stale, so send the whole blob
  const ifRange = request.headers.get('if-range');
  if (range && (!ifRange || ifRange === info.etag)) {
    const m = /^bytes=(\d*)-(\d*)$/.exec(range.trim());
    let start: number;
    let end: number;
    if (!m || (m[1] === '' && m[2] === '')) return rangeNotSatisfiable(size, base);
    if (m[1] === '') {
      // suffix range: the last N bytes
      if (Number(m[2]) === 0) return rangeNotSatisfiable(size, base);
      start = Math.max(0, size - Number(m[2]));
      end = size - 1;
    } else {
      start = Number(m[1]);
      end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
    }
    if (start >= size || start > end) return rangeNotSatisfiable(size, base);
    const headers = { ...base, 'content-range': `bytes ${start}-${end}/${size}`, 'content-length': String(end - start + 1) };
    if (request.method === 'HEAD') return new Response(null, { status: 206, headers });
    return new Response(await body(store, key, start, end), { status: 206, headers });
  }
  const headers = { ...base, 'content-length': String(size) };
  if (request.method === 'HEAD' || size === 0) return new Response(request.method === 'HEAD' ? null : '', { status: 200, headers });
  return new Response(await body(store, key, 0, size - 1), { status: 200, headers });
}

function rangeNotSatisfiable(size: number, base: Record<string, string>): Response {
  return new Response(null, { status: 416, headers: { ...base, 'content-range': `bytes */${size}` } });
}

async function body(store: BlobSource, key: string, start: number, end: number): Promise<ReadableStream<Uint8Array>> {
  if (store.bytes) {
    // bytes in memory go out as one chunk of a plain web stream: neither a Node stream wrapped per request
    // nor a copy (a Uint8Array body is copied whole by the Response; a byte stream would detach it)
    const chunk = store.bytes(start, end);
    return new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(chunk);
        controller.close();
      },
    });
  }
  return Readable.toWeb(await store.read(key, { start, end })) as ReadableStream<Uint8Array>;
}

/** A blob's bytes held in memory (a payload read once and kept), served by serveBlob like the stored blob. */
export function memoryBlob(info: BlobInfo, bytes: Buffer): BlobSource {
  return {
    stat: async () => info,
    read: async (_key, range) => Readable.from([bytes.subarray(range?.start ?? 0, (range?.end ?? bytes.length - 1) + 1)]),
    bytes: (start, end) => bytes.subarray(start, end + 1),
  };
}
