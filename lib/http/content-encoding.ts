import Negotiator from 'negotiator';
import { promisify } from 'node:util';
import zlib from 'node:zlib';

/**
 * Compressed copies of bytes that are served many times unchanged (the poses payload), made once and
 * kept as long as the bytes are: Brotli halves the poses payload (0.48 of it, about 0.1 s once for a
 * 312-frame, 3-athlete clip), gzip takes a quarter off (0.75). Which one a client gets is negotiated from
 * its Accept-Encoding (browsers send br over HTTPS only) by `negotiator`, the library Express uses.
 */
export type Encoding = 'br' | 'gzip';

const brotli = promisify(zlib.brotliCompress);
const gzip = promisify(zlib.gzip);
const made = new WeakMap<Buffer, Map<Encoding, Promise<Buffer>>>();

/** The encoding to send `request` (null: the bytes as they are). */
export function preferredEncoding(request: Request): Encoding | null {
  const header = request.headers.get('accept-encoding');
  if (!header) return null;
  // among encodings the client weighs the same (browsers send `gzip, deflate, br, zstd`), ours decides:
  // the smallest first (negotiator 1.0's `preferred`, which @types/negotiator does not know yet)
  const negotiator = new Negotiator({ headers: { 'accept-encoding': header } }) as Negotiator & {
    encoding(available: string[], options: { preferred: string[] }): string | undefined;
  };
  const order = ['br', 'gzip', 'identity'];
  const chosen = negotiator.encoding(order, { preferred: order });
  return chosen === 'br' || chosen === 'gzip' ? chosen : null;
}

/** `bytes` compressed with `encoding`; made on the first call (in libuv's thread pool) and kept with `bytes`. */
export function encoded(bytes: Buffer, encoding: Encoding): Promise<Buffer> {
  let byEncoding = made.get(bytes);
  if (!byEncoding) made.set(bytes, (byEncoding = new Map()));
  let job = byEncoding.get(encoding);
  if (!job) {
    job =
      encoding === 'br'
        ? brotli(bytes, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 5, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: bytes.length } })
        : gzip(bytes, { level: 6 });
    // a failure is not kept: the next request tries again
    job.catch(() => byEncoding!.delete(encoding));
    byEncoding.set(encoding, job);
  }
  return job;
}
