import { MongoClient, type Db } from 'mongodb';
import { getConfig } from './config';

/**
 * One MongoClient per process. The URI is MONGODB_URI, which `npm start` and the test setup set to
 * the embedded server when the user gave none.
 */
const DB_NAME = 'motion_coach';

let clientPromise: Promise<MongoClient> | null = null;

export function mongoUri(): string {
  const uri = getConfig().mongodbUri;
  if (!uri) throw new Error('MONGODB_URI is not set: start the product with `npm start`, which starts an embedded MongoDB');
  return uri;
}

export async function getMongoClient(): Promise<MongoClient> {
  clientPromise ??= MongoClient.connect(mongoUri(), {
    serverSelectionTimeoutMS: 5000,
    // survive a MongoDB restart: the driver reconnects, operations retry once
    retryWrites: true,
    retryReads: true,
  }).catch((err) => {
    clientPromise = null;
    throw err;
  });
  return clientPromise;
}

export async function getDb(): Promise<Db> {
  return (await getMongoClient()).db(DB_NAME);
}

export async function closeDb(): Promise<void> {
  const p = clientPromise;
  clientPromise = null;
  if (p) await (await p).close();
}
