import { Transform } from 'node:stream';
import { BlobTooLargeError } from './blob-store';
import { ThreadedSha256 } from './hash-thread';

/** at most this many bytes wait for the hashing thread; past it the stream waits (backpressure) */
const HASH_BACKLOG = 32 * 1024 * 1024;

/**
 * A pass-through that hashes (sha256, on the hashing thread: lib/storage/hash-thread.ts) and counts the
 * bytes, failing with BlobTooLargeError past maxBytes.
 */
export class Metering extends Transform {
  size = 0;
  private readonly hash = new ThreadedSha256();
  constructor(private readonly maxBytes = Number.POSITIVE_INFINITY) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null, data?: Buffer) => void): void {
    this.size += chunk.length;
    if (this.size > this.maxBytes) return cb(new BlobTooLargeError(this.maxBytes));
    this.hash.update(chunk);
    if (this.hash.backlog > HASH_BACKLOG) void this.hash.drained(HASH_BACKLOG / 2).then(() => cb(null, chunk));
    else cb(null, chunk);
  }
  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    // a failed stream's hash is never asked for (one that ended is destroyed too: its digest comes next)
    if (err) this.hash.drop();
    cb(err);
  }
  /** the sha256 (hex) of every byte that passed; call it once the stream has ended (or drop it by destroying the stream with an error) */
  digest(): Promise<string> {
    return this.hash.digest();
  }
}
