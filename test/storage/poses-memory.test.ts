import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GET as poses } from '../../app/api/clips/[id]/poses/route';
import { closeDb } from '../../lib/db';
import { loadSequence } from '../../lib/frames/repo';
import { encodePoseSequence } from '../../lib/pose/compact';
import { closeSharedRedis } from '../../lib/redis';
import { makeClip } from '../auth/fixtures';
import { asUser, params, testUser, type TestUser } from '../auth/helpers';

/**
 * The poses payload held in memory (lib/clips/poses-blob.ts) goes out as one chunk of a plain web stream
 * (lib/http/serve-blob.ts memoryBlob): every response has the whole payload, also after earlier ones
 * (nothing detached or consumed the held bytes), a Range of it, and 304 for its ETag.
 */
beforeAll(() => {
  process.env.CLIP_CACHE_MS = '0';
});
afterAll(async () => {
  delete process.env.CLIP_CACHE_MS;
  await closeSharedRedis();
  await closeDb();
});

async function get(user: TestUser, id: string, headers: Record<string, string> = {}) {
  const res = await poses(asUser(user, `/api/clips/${id}/poses`, { headers }), params({ id }));
  return { res, body: Buffer.from(await res.arrayBuffer()) };
}

describe('poses payload from memory', () => {
  it('serves the whole payload every time, Ranges of it, and 304', async () => {
    const user = await testUser();
    const id = await makeClip(user.actor.userId);
    const expected = Buffer.from(encodePoseSequence((await loadSequence(id))!));
    for (let i = 0; i < 3; i++) {
      const { res, body } = await get(user, id);
      expect(res.status).toBe(200);
      expect(Number(res.headers.get('content-length'))).toBe(expected.length);
      expect(body.equals(expected)).toBe(true);
    }
    const part = await get(user, id, { range: 'bytes=4-99' });
    expect(part.res.status).toBe(206);
    expect(part.body.equals(expected.subarray(4, 100))).toBe(true);
    const again = await get(user, id);
    expect(again.body.equals(expected)).toBe(true);
    expect((await get(user, id, { 'if-none-match': again.res.headers.get('etag')! })).res.status).toBe(304);
  });
});
