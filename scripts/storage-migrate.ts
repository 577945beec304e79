import { getConfig } from '../lib/config';
import { closeDb, getDb } from '../lib/db';
import { DiskBlobStore } from '../lib/storage/disk';
import { GridFsBlobStore } from '../lib/storage/gridfs';
import { migrateBlobs } from '../lib/storage/migrate';

/**
 * `npm run storage:migrate`: copies a disk install's blobs (DATA_DIR/clips/...) into MongoDB GridFS
 * (MONGODB_URI) and verifies every one by sha256. Run it with the web app and the workers stopped
 * (or at least with no uploads going on), then start everything with STORAGE=gridfs. Safe to run again:
 * blobs already copied are verified and skipped. Exit code 0 only when every blob verified.
 */
async function main() {
  const config = getConfig();
  if (!config.mongodbUri) {
    process.stderr.write('storage:migrate needs MONGODB_URI (the MongoDB the app uses; with `npm start`\'s embedded server, start the app once and use the URI it prints).\n');
    process.exit(2);
  }
  const from = new DiskBlobStore(config.dataDir);
  const to = new GridFsBlobStore(getDb);
  const t0 = Date.now();
  process.stdout.write(`copying blobs from ${config.dataDir} into GridFS at ${config.mongodbUri.replace(/\/\/[^@]*@/, '//***@')} ...\n`);
  const report = await migrateBlobs(from, to, {
    onBlob: (key, what) => process.stdout.write(`  ${what.padEnd(8)} ${key}\n`),
  });
  await closeDb();
  const mb = (report.bytes / 1024 / 1024).toFixed(1);
  process.stdout.write(
    `${report.copied.length} copied (${mb} MB), ${report.skipped.length} already there, ${report.mismatched.length} failed verification, in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`,
  );
  if (report.mismatched.length) {
    for (const m of report.mismatched) process.stderr.write(`MISMATCH ${m.key}: expected sha256 ${m.expected}, read back ${m.got}\n`);
    process.exit(1);
  }
  process.stdout.write('every blob verified (sha256). Start the web app and the workers with STORAGE=gridfs; the files under DATA_DIR/clips can then be removed.\n');
}

main().catch((err) => {
  process.stderr.write(`storage:migrate failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
