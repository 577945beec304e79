import { ObjectId, type Db } from 'mongodb';
import { closeDb, getMongoClient } from '../../lib/db';

/**
 * A database of its own for one test file on the REAL MongoDB of the test run (MONGODB_URI, set by the
 * harness in test/setup), dropped at the end, so frame-store tests never see other files' data.
 */
export async function openTestDb(label: string): Promise<{ db: Db; drop(): Promise<void> }> {
  if (!process.env.MONGODB_URI) throw new Error('MONGODB_URI is not set: run the tests with vitest (test/setup starts MongoDB)');
  const db = (await getMongoClient()).db(`test_${label}_${new ObjectId().toHexString()}`);
  return {
    db,
    async drop() {
      await db.dropDatabase();
      await closeDb();
    },
  };
}

/** Inserts a minimal clip document as the clips repository would; the frame store only needs it to exist. */
export async function insertClip(db: Db, fields: Record<string, unknown> = {}): Promise<string> {
  const _id = new ObjectId();
  await db.collection('clips').insertOne({ _id, filename: 'test.mp4', status: 'done', createdAt: new Date(), ...fields });
  return _id.toHexString();
}
