import {
  MongoClient,
  MongoNetworkError,
  MongoNotConnectedError,
  MongoServerSelectionError,
  MongoTopologyClosedError,
  type Db,
} from 'mongodb';
import { getConfig } from './config';

/**
 * One MongoClient per process. The URI is MONGODB_URI, which `npm start` and the test setup set to
 * the embedded server when the user gave none.
 */
const DB_NAME = 'motion_coach';

let clientPromise: Promise<MongoClient> | null = null;

/**
 * How long an operation waits for a reachable server before it fails. The web process keeps the
 * default (a request answers 503 after a few seconds instead of hanging); the worker raises it so a
 * MongoDB restart (the embedded mongod under Wine takes ~7-10 s to start) only pauses a job.
 */
let serverSelectionTimeoutMS = 5000;

/** Call before the first getDb() (the worker does, at start). */
export function setMongoServerSelectionTimeout(ms: number): void {
  serverSelectionTimeoutMS = ms;
}

export function mongoUri(): string {
  const uri = getConfig().mongodbUri;
  if (!uri) throw new Error('MONGODB_URI is not set: start the product with `npm start`, which starts an embedded MongoDB');
  return uri;
}

export async function getMongoClient(): Promise<MongoClient> {
  clientPromise ??= MongoClient.connect(mongoUri(), {
    serverSelectionTimeoutMS,
    // survive a MongoDB restart: the driver reconnects, operations retry once (retryable writes need a
    // replica set; on a standalone server a failed write fails and the job retries instead)
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
  if (p) await (await p.catch(() => null))?.close();
}

/**
 * True when the error says MongoDB could not be reached (down, restarting, network), as opposed to an
 * error of the operation itself. Work that failed this way is worth repeating unchanged later.
 */
export function isMongoUnavailable(err: unknown): boolean {
  return (
    err instanceof MongoServerSelectionError ||
    err instanceof MongoNetworkError ||
    err instanceof MongoNotConnectedError ||
    err instanceof MongoTopologyClosedError
  );
}
