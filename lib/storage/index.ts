import { getConfig } from '../config';
import { getDb } from '../db';
import type { BlobStore } from './blob-store';
import { DiskBlobStore } from './disk';
import { GridFsBlobStore } from './gridfs';

export * from './blob-store';
export { clipKeys } from './keys';

let cached: { key: string; store: BlobStore } | null = null;

/** The process's blob store: STORAGE=disk (files under DATA_DIR, the default) or STORAGE=gridfs (MongoDB). */
export function blobStore(): BlobStore {
  const { storage, dataDir } = getConfig();
  const key = `${storage}:${dataDir}`;
  if (cached?.key !== key) cached = { key, store: storage === 'gridfs' ? new GridFsBlobStore(getDb) : new DiskBlobStore(dataDir) };
  return cached.store;
}
