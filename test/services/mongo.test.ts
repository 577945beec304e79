import fs from 'node:fs';
import path from 'node:path';
import { MongoClient, MongoServerError } from 'mongodb';
import { describe, expect, inject, it } from 'vitest';
import { startTestMongo, testTempDir } from '../setup/test-services';

describe('embedded MongoDB (real mongod)', () => {
  it('the shared server of the test run answers at MONGODB_URI', async () => {
    expect(process.env.MONGODB_URI).toBe(inject('mongoUri'));
    const client = await MongoClient.connect(process.env.MONGODB_URI!, { serverSelectionTimeoutMS: 10_000 });
    try {
      const info = await client.db('admin').command({ buildInfo: 1 });
      expect(info.version).toMatch(/^\d+\.\d+\.\d+/);
      const res = await client.db('harness_check').collection('c').insertOne({ ok: true });
      expect(res.acknowledged).toBe(true);
    } finally {
      await client.close();
    }
  });

  it('keeps data and unique indexes across stop + start on the same dbPath', async () => {
    const dbPath = testTempDir('mongo-persist');
    const first = await startTestMongo({ dbPath });
    expect(first.uri).toMatch(/^mongodb:\/\/127\.0\.0\.1:\d+\/$/);
    expect(first.dbPath).toBe(path.resolve(dbPath));
    let client = await MongoClient.connect(first.uri, { serverSelectionTimeoutMS: 10_000 });
    const frames = () => client.db('motion_coach').collection('frames');
    await frames().createIndex({ clipId: 1, frame: 1 }, { unique: true });
    await frames().insertMany([
      { clipId: 'c1', frame: 0, v: 'a' },
      { clipId: 'c1', frame: 1, v: 'b' },
    ]);
    await expect(frames().insertOne({ clipId: 'c1', frame: 1, v: 'dup' })).rejects.toMatchObject({ code: 11000 });
    await client.close();
    await first.stop();

    // stop must not delete the data directory
    expect(fs.readdirSync(dbPath)).toContain('WiredTiger');
    // and the process is gone (its port is free again)
    expect(isAlive(first.pid)).toBe(false);

    const second = await startTestMongo({ dbPath });
    client = await MongoClient.connect(second.uri, { serverSelectionTimeoutMS: 10_000 });
    try {
      const docs = await frames().find({}, { projection: { _id: 0 } }).sort({ frame: 1 }).toArray();
      expect(docs).toEqual([
        { clipId: 'c1', frame: 0, v: 'a' },
        { clipId: 'c1', frame: 1, v: 'b' },
      ]);
      const err = await frames().insertOne({ clipId: 'c1', frame: 0 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MongoServerError);
      expect((err as MongoServerError).code).toBe(11000);
    } finally {
      await client.close();
      await second.stop();
    }
  });

  it('refuses a second server on a dbPath that is in use, with a clear error', async () => {
    const dbPath = testTempDir('mongo-busy');
    const first = await startTestMongo({ dbPath });
    try {
      const err = await startTestMongo({ dbPath }).catch((e: Error) => e);
      expect(err).toBeInstanceOf(Error);
      // our context (which dbPath) and mongod's own reason
      expect((err as Error).message).toContain(`--dbpath ${path.resolve(dbPath)}`);
      expect((err as Error).message).toMatch(/DBPathInUse|already running/);
    } finally {
      await first.stop();
    }
  });
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
