import crypto from 'node:crypto';
import type { BlobStore } from './blob-store';
import type { GridFsBlobStore } from './gridfs';

export interface MigrateReport {
  copied: string[];
  /** already in the target with the same sha256 */
  skipped: string[];
  /** copied but read back with another sha256 (or size): the command fails */
  mismatched: { key: string; expected: string; got: string }[];
  bytes: number;
}

/** the blobs of a clip; poses payloads are rebuilt on demand, so they are not copied */
const BLOB_KEY = /^clips\/[0-9a-f]{24}\/(source|playable\.mp4|thumb\.jpg|frames\.json)$/;

async function sha256Of(store: BlobStore, key: string): Promise<{ sha256: string; size: number }> {
  const hash = crypto.createHash('sha256');
  let size = 0;
  for await (const chunk of await store.read(key)) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), size };
}

/**
 * Copies every blob under `prefixes` from a disk store into GridFS and verifies each one: the sha256
 * computed while copying must equal the sha256 of the bytes read back from GridFS. Blobs already in
 * GridFS with the same sha256 are verified and skipped, so running it again is safe (and is how a
 * partly finished migration resumes).
 */
export async function migrateBlobs(
  from: BlobStore,
  to: GridFsBlobStore,
  opts: { prefixes?: string[]; onBlob?: (key: string, what: 'copied' | 'skipped' | 'mismatch') => void } = {},
): Promise<MigrateReport> {
  const report: MigrateReport = { copied: [], skipped: [], mismatched: [], bytes: 0 };
  for (const prefix of opts.prefixes ?? ['clips/']) {
    for (const blob of await from.list(prefix)) {
      // only what is a blob today: an older install's per-clip frames/ and runs/ folders were scratch
      if (!BLOB_KEY.test(blob.key)) continue;
      const source = await sha256Of(from, blob.key);
      const recorded = await to.recordedSha256(blob.key);
      if (recorded === source.sha256) {
        const back = await sha256Of(to, blob.key);
        if (back.sha256 === source.sha256) {
          report.skipped.push(blob.key);
          opts.onBlob?.(blob.key, 'skipped');
          continue;
        }
      }
      const put = await to.putStream(blob.key, await from.read(blob.key));
      const back = await sha256Of(to, blob.key);
      if (put.sha256 !== source.sha256 || back.sha256 !== source.sha256 || back.size !== source.size) {
        report.mismatched.push({ key: blob.key, expected: source.sha256, got: back.sha256 });
        opts.onBlob?.(blob.key, 'mismatch');
        continue;
      }
      report.copied.push(blob.key);
      report.bytes += source.size;
      opts.onBlob?.(blob.key, 'copied');
    }
  }
  return report;
}
