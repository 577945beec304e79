import fs from 'node:fs';
import { Redis } from 'ioredis';
import { describe, expect, inject, it } from 'vitest';
import { startEmbeddedRedis } from '../../scripts/services/redis';
import { startTestRedis, testTempDir } from '../setup/test-services';

const connect = async (url: string) => {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await client.connect();
  return client;
};

describe('embedded Redis (real redis-server)', () => {
  it('the shared server of the test run answers at REDIS_URL', async () => {
    expect(process.env.REDIS_URL).toBe(inject('redisUrl'));
    const client = await connect(process.env.REDIS_URL!);
    try {
      expect(await client.ping()).toBe('PONG');
    } finally {
      client.disconnect();
    }
  });

  it('runs with append-only persistence: a key survives stop + restart on the same dir and port', async () => {
    const dir = testTempDir('redis-aof');
    const first = await startTestRedis({ dir });
    expect(first.url).toBe(`redis://127.0.0.1:${first.port}`);
    let client = await connect(first.url);
    expect(await client.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
    expect(await client.config('GET', 'dir')).toEqual(['dir', fs.realpathSync(dir)]);
    await client.set('clip:1', 'queued');
    client.disconnect();
    await first.stop();
    expect(() => process.kill(first.pid, 0)).toThrow();
    expect(fs.readdirSync(dir)).toContain('appendonlydir');

    const second = await startTestRedis({ dir, port: first.port });
    client = await connect(second.url);
    try {
      expect(second.url).toBe(first.url);
      expect(await client.get('clip:1')).toBe('queued');
    } finally {
      client.disconnect();
      await second.stop();
    }
  });

  it('can be killed hard to test "Redis went away"', async () => {
    const redis = await startTestRedis();
    const client = new Redis(redis.url, { maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on('error', () => {});
    expect(await client.ping()).toBe('PONG');
    await redis.kill();
    await expect(client.ping()).rejects.toThrow();
    client.disconnect();
  });

  it('reports a port that is already taken instead of hanging', async () => {
    const taken = await startTestRedis();
    await expect(startEmbeddedRedis({ dir: testTempDir('redis-clash'), port: taken.port })).rejects.toThrow(/exited during start[\s\S]*(in use|bind)/i);
    await taken.stop();
  });
});
