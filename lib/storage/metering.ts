import crypto from 'node:crypto';
import { Transform } from 'node:stream';
import { BlobTooLargeError } from './blob-store';

/** A pass-through that hashes (sha256) and counts the bytes, failing with BlobTooLargeError past maxBytes. */
export class Metering extends Transform {
  size = 0;
  private readonly hash = crypto.createHash('sha256');
  constructor(private readonly maxBytes = Number.POSITIVE_INFINITY) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null, data?: Buffer) => void): void {
    this.size += chunk.length;
    if (this.size > this.maxBytes) return cb(new BlobTooLargeError(this.maxBytes));
    this.hash.update(chunk);
    cb(null, chunk);
  }
  digest(): string {
    return this.hash.digest('hex');
  }
}
