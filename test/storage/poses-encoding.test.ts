import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GET as poses } from '../../app/api/clips/[id]/poses/route';
import { posesPayload, posesVariantKey } from '../../lib/clips/poses-blob';
import { getClipDoc, updateClip } from '../../lib/clips/repo';
import { closeDb } from '../../lib/db';
import { negotiateEncoding } from '../../lib/http/accept-encoding';
import { closeSharedRedis } from '../../lib/redis';
import { blobStore, clipKeys } from '../../lib/storage';
import { makeClip } from '../auth/fixtures';
import { asUser, params, testUser, type TestUser } from '../auth/helpers';

/**
 * The poses payload's precompressed variants (lib/clips/poses-blob.ts): stored beside the payload once
 * per result version, sent with Content-Encoding to a request that accepts one (Vary: Accept-Encoding),
 * each with its own ETag (304 per encoding), the same bytes once decoded; old versions' variants go.
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
async function variantsBuilt(id: string) {
  const doc = (await getClipDoc(id))!;
  await (await posesPayload(doc))!.variantsReady;
}

describe('Accept-Encoding negotiation', () => {
  it('takes the most preferred offered coding the client accepts, never one it refuses', () => {
    expect(negotiateEncoding(null, ['br', 'gzip'])).toBe('identity');
    expect(negotiateEncoding('', ['br', 'gzip'])).toBe('identity');
    expect(negotiateEncoding('gzip, deflate, br, zstd', ['br', 'gzip'])).toBe('br');
    expect(negotiateEncoding('gzip, deflate', ['br', 'gzip'])).toBe('gzip');
    expect(negotiateEncoding('br;q=0.5, gzip', ['br', 'gzip'])).toBe('gzip');
    expect(negotiateEncoding('br;q=0, gzip;q=0', ['br', 'gzip'])).toBe('identity');
    expect(negotiateEncoding('*', ['br', 'gzip'])).toBe('br');
    expect(negotiateEncoding('*, br;q=0', ['br', 'gzip'])).toBe('gzip');
    expect(negotiateEncoding('GZIP', ['br', 'gzip'])).toBe('gzip');
    expect(negotiateEncoding('gzip;q=0.3, identity', ['br', 'gzip'])).toBe('identity');
    expect(negotiateEncoding('br', ['gzip'])).toBe('identity');
  });
});

describe('poses payload variants', () => {
  it('serves br / gzip variants whose decoded bytes are the payload, with their own ETags and 304s', async () => {
    const user = await testUser();
    const id = await makeClip(user.actor.userId);
    const plain = await get(user, id);
    expect(plain.res.status).toBe(200);
    expect(plain.res.headers.get('content-encoding')).toBeNull();
    expect(plain.res.headers.get('vary')).toMatch(/Accept-Encoding/);
    expect(plain.body.subarray(0, 4).toString('latin1')).toBe('PSQ1');
    const identityTag = plain.res.headers.get('etag')!;

    await variantsBuilt(id);
    const keys = clipKeys(id);
    const stored = (await blobStore().list(keys.posesPrefix)).map((b) => b.key).sort();
    const payloadKey = stored.find((k) => k.endsWith('.bin'))!;
    expect(stored).toEqual([payloadKey, posesVariantKey(payloadKey, 'br'), posesVariantKey(payloadKey, 'gzip')].sort());

    const gz = await get(user, id, { 'accept-encoding': 'gzip, deflate' });
    expect(gz.res.status).toBe(200);
    expect(gz.res.headers.get('content-encoding')).toBe('gzip');
    expect(Number(gz.res.headers.get('content-length'))).toBe(gz.body.length);
    expect(gz.body.length).toBeLessThan(plain.body.length);
    expect(zlib.gunzipSync(gz.body).equals(plain.body)).toBe(true);
    const gzTag = gz.res.headers.get('etag')!;
    expect(gzTag).not.toBe(identityTag);

    const br = await get(user, id, { 'accept-encoding': 'gzip, deflate, br, zstd' });
    expect(br.res.headers.get('content-encoding')).toBe('br');
    expect(zlib.brotliDecompressSync(br.body).equals(plain.body)).toBe(true);
    const brTag = br.res.headers.get('etag')!;
    expect(new Set([identityTag, gzTag, brTag]).size).toBe(3);

    // 304 per encoding: a validator of one encoding does not match another's
    expect((await get(user, id, { 'accept-encoding': 'gzip', 'if-none-match': gzTag })).res.status).toBe(304);
    expect((await get(user, id, { 'accept-encoding': 'br', 'if-none-match': brTag })).res.status).toBe(304);
    expect((await get(user, id, { 'if-none-match': identityTag })).res.status).toBe(304);
    const other = await get(user, id, { 'accept-encoding': 'gzip', 'if-none-match': identityTag });
    expect(other.res.status).toBe(200);
    expect(other.res.headers.get('content-encoding')).toBe('gzip');
    // a client that refuses every coding gets the payload as it is
    const refused = await get(user, id, { 'accept-encoding': 'br;q=0, gzip;q=0' });
    expect(refused.res.headers.get('content-encoding')).toBeNull();
    expect(refused.body.equals(plain.body)).toBe(true);

    // a new result version: a new payload with new variants; the old version's blobs, variants included, go
    await updateClip(id, { finishedAt: new Date(Date.now() + 1000) });
    const next = await get(user, id, { 'accept-encoding': 'gzip' });
    expect(next.res.status).toBe(200);
    await variantsBuilt(id);
    const after = (await blobStore().list(keys.posesPrefix)).map((b) => b.key).sort();
    const nextKey = after.find((k) => k.endsWith('.bin'))!;
    expect(nextKey).not.toBe(payloadKey);
    expect(after).toEqual([nextKey, posesVariantKey(nextKey, 'br'), posesVariantKey(nextKey, 'gzip')].sort());
  });
});
