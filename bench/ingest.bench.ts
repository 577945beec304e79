/**
 * Frame store ingest: time to store a 1300-frame, 2-person PHALP-like result, and bytes per stored
 * person-frame for both float encodings (BSON size of a person, of whole frame documents, and what
 * MongoDB's storage engine reports for the collection).
 *
 *   npx tsx bench/ingest.bench.ts          (uses MONGODB_URI, else starts an embedded mongod)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { BSON, ObjectId, type Db } from 'mongodb';
import { closeDb, getMongoClient } from '../lib/db';
import { encodeFrame, encodePerson, type FloatEncoding } from '../lib/frames/codec';
import { ensureFrameIndexes, loadSequence, readFrames, saveSequence } from '../lib/frames/repo';
import { readPhalpResults } from '../lib/phalp';
import { syntheticSequence } from '../test/frames/synthetic-sequence';

const FRAMES = 1300;
const TRACKS = 2;

const ms = (t0: number) => `${(performance.now() - t0).toFixed(1)} ms`;
const kb = (n: number) => `${n.toFixed(0)} B`;

async function mongo(): Promise<{ stop(): Promise<void> }> {
  if (process.env.MONGODB_URI) return { stop: async () => {} };
  const { startEmbeddedMongo } = await import('../scripts/services/mongo');
  const dbPath = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-ingest-'));
  const t0 = performance.now();
  const server = await startEmbeddedMongo({ dbPath });
  console.log(`mongod started (${server.kind} ${server.version}): ${ms(t0)}`);
  process.env.MONGODB_URI = server.uri;
  return {
    async stop() {
      await server.stop();
      fs.rmSync(dbPath, { recursive: true, force: true });
    },
  };
}

/** Storage engine figures for one collection after a checkpoint (fsync), so they reflect the data just written. */
async function storageStats(db: Db, collection: string) {
  await db.admin().command({ fsync: 1 });
  const [stats] = await db
    .collection(collection)
    .aggregate<{ storageStats: { size: number; storageSize: number; totalIndexSize: number; count: number } }>([{ $collStats: { storageStats: {} } }])
    .toArray();
  return stats.storageStats;
}

async function main() {
  const server = await mongo();
  const db = (await getMongoClient()).db(`bench_ingest_${new ObjectId().toHexString()}`);
  try {
    let t0 = performance.now();
    const seq = syntheticSequence({ frames: FRAMES, tracks: TRACKS, seed: 42 });
    const personFrames = seq.frames.reduce((n, f) => n + f.persons.length, 0);
    console.log(`generate ${FRAMES}-frame ${TRACKS}-person sequence (${personFrames} person-frames): ${ms(t0)}`);

    t0 = performance.now();
    const clipId = new ObjectId();
    for (const f of seq.frames) encodeFrame(clipId, f);
    console.log(`encode ${FRAMES} frames to documents (no database): ${ms(t0)}`);

    await ensureFrameIndexes(db);
    await db.collection('clips').insertOne({ _id: clipId, filename: 'bench.mp4', status: 'done' });
    const id = clipId.toHexString();

    t0 = performance.now();
    const first = await saveSequence(id, seq, { db });
    console.log(`ingest ${FRAMES} frames (first write, bulk upserts): ${ms(t0)}`);
    t0 = performance.now();
    await saveSequence(id, seq, { db });
    console.log(`ingest ${FRAMES} frames again (retried job, replaces): ${ms(t0)}`);
    t0 = performance.now();
    const loaded = await loadSequence(id, { db });
    console.log(`loadSequence ${loaded!.frames.length} frames: ${ms(t0)}`);
    t0 = performance.now();
    await readFrames(id, 600, 699, { db });
    console.log(`readFrames 100-frame range: ${ms(t0)}`);

    // Bytes, for both encodings. The 'array' collection holds the same frames as plain number arrays.
    const sample = seq.frames.find((f) => f.persons.length === TRACKS)!.persons[0];
    const enc: FloatEncoding[] = ['binary', 'array'];
    for (const e of enc) {
      const coll = e === 'binary' ? 'frames' : 'frames_as_arrays';
      if (e === 'array') {
        await db.collection(coll).createIndex({ clipId: 1, frame: 1 }, { unique: true });
        await db.collection(coll).insertMany(seq.frames.map((f) => encodeFrame(clipId, f, { encoding: 'array' })));
      }
      const docBytes = e === 'binary' ? first.bytes! : seq.frames.reduce((n, f) => n + BSON.calculateObjectSize(encodeFrame(clipId, f, { encoding: e })), 0);
      const st = await storageStats(db, coll);
      console.log(
        `bytes per person-frame, ${e.padEnd(6)}: person sub-document ${kb(BSON.calculateObjectSize(encodePerson(sample, e)))}, ` +
          `frame documents ${kb(docBytes / personFrames)}, collection data ${kb(st.size / personFrames)}, ` +
          `on disk (compressed) ${kb(st.storageSize / personFrames)}, index ${kb(st.totalIndexSize / personFrames)}`,
      );
    }

    // Real PHALP output (one person, rendering on) as the reader gives it
    const walk = await readPhalpResults(path.resolve(import.meta.dirname, '../../shared/samples/phalp/walk_8.pkl')).catch((err) => {
      console.log(`walk_8.pkl: skipped (${(err as Error).message})`);
      return null;
    });
    if (walk) {
      const docs = walk.frames.filter((f) => f.persons.length === 1).map((f) => ({ _id: new ObjectId(), ...encodeFrame(clipId, f) }));
      const person = BSON.calculateObjectSize(encodePerson(walk.frames[50].persons[0]));
      const perDoc = docs.reduce((n, d) => n + BSON.calculateObjectSize(d), 0) / docs.length;
      console.log(`bytes per person-frame, walk_8.pkl (binary): person sub-document ${kb(person)}, one-person frame document ${kb(perDoc)}`);
    }
  } finally {
    await db.dropDatabase().catch(() => {});
    await closeDb();
    await server.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
