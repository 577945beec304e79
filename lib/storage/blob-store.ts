import type { Readable } from 'node:stream';

/**
 * Every byte the product keeps (uploads, playable copies, thumbnails, frame indexes, poses payloads)
 * goes through one BlobStore, addressed by a key (`clips/<id>/source`, see keys.ts), never by a path.
 * Two backends: local disk (disk.ts, the default) and MongoDB GridFS (gridfs.ts, STORAGE=gridfs).
 * test/storage/contract.test.ts runs the same suite against both.
 *
 * Guarantees of every backend:
 *  - a put is all or nothing: readers see the old blob (or none) until the new one is complete, and a
 *    failed put (stream error, size limit, abort) leaves nothing behind;
 *  - sha256 and size are computed while the bytes pass, and `maxBytes` is enforced while streaming
 *    (BlobTooLargeError as soon as it is passed, not after the whole stream was read).
 */
export interface BlobInfo {
  key: string;
  size: number;
  /** a strong validator for HTTP (changes whenever the content is replaced) */
  etag: string;
  updatedAt: Date;
  contentType: string | null;
}

export interface PutResult extends BlobInfo {
  sha256: string;
}

export interface PutOptions {
  /** refuse (BlobTooLargeError) as soon as more than this many bytes arrive */
  maxBytes?: number;
  contentType?: string;
  signal?: AbortSignal;
}

/** Inclusive byte range, as in HTTP Range. */
export interface ByteRange {
  start: number;
  end: number;
}

export interface BlobStore {
  readonly kind: 'disk' | 'gridfs';
  putStream(key: string, stream: Readable, opts?: PutOptions): Promise<PutResult>;
  putFile(key: string, file: string, opts?: PutOptions): Promise<PutResult>;
  stat(key: string): Promise<BlobInfo | null>;
  /** BlobNotFoundError when missing; a range past the end is the caller's problem (serve-blob answers 416) */
  read(key: string, range?: ByteRange): Promise<Readable>;
  /** false when `from` does not exist */
  copy(from: string, to: string): Promise<boolean>;
  delete(key: string): Promise<void>;
  /** removes every blob whose key starts with `prefix` (which must end with '/'); returns how many */
  deletePrefix(prefix: string): Promise<number>;
  list(prefix: string): Promise<BlobInfo[]>;
  /** writes the blob to a local file (atomically: temp file + rename) */
  fetchToFile(key: string, file: string): Promise<BlobInfo>;
  /** the local path of a blob when the backend keeps it on this machine's disk (disk backend), else null */
  localPath(key: string): string | null;
  /** removes what writers that died mid-write left (temp files, orphan chunks) older than `olderThanMs` */
  sweepIncomplete(olderThanMs: number): Promise<number>;
}

export class BlobNotFoundError extends Error {
  constructor(readonly key: string) {
    super(`no blob '${key}' in the store`);
    this.name = 'BlobNotFoundError';
  }
}

export class BlobTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`more than ${maxBytes} bytes`);
    this.name = 'BlobTooLargeError';
  }
}

/** Keys are relative, lower-level names made of safe characters: never absolute, never '..'. */
export function checkKey(key: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*)*$/.test(key) || key.length > 512) {
    throw new Error(`invalid blob key '${key}'`);
  }
  return key;
}

export function checkPrefix(prefix: string): string {
  if (!prefix.endsWith('/')) throw new Error(`a blob prefix must end with '/': '${prefix}'`);
  checkKey(prefix.slice(0, -1));
  return prefix;
}
