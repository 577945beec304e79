import fs from 'node:fs';
import path from 'node:path';
import { ObjectId } from 'mongodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DELETE as deleteAccountRoute } from '../../app/api/account/route';
import { DELETE as revokeKeyRoute } from '../../app/api/account/keys/[keyId]/route';
import { POST as authPost } from '../../app/api/auth/[...all]/route';
import { DELETE as deleteClipRoute, GET as getClipRoute } from '../../app/api/clips/[id]/route';
import { DELETE as revokeShareRoute } from '../../app/api/clips/[id]/shares/[shareId]/route';
import { GET as listClipsRoute, POST as uploadRoute } from '../../app/api/clips/route';
import { GET as meRoute } from '../../app/api/me/route';
import { actorForShareToken } from '../../lib/auth/identity';
import { getClipDoc } from '../../lib/clips/repo';
import { getConfig, resetConfigForTests } from '../../lib/config';
import { closeDb, getDb } from '../../lib/db';
import { closeQueue, poseQueue } from '../../lib/queue';
import { closeSharedRedis, sharedRedis } from '../../lib/redis';
import { clipLayout, uploadsDir } from '../../lib/storage/layout';
import { bytesChunks, fileChunks, multipartRequest } from '../foundation/helpers';
import { makeClip as makeVideoFile } from '../resilience/helpers';
import { testTempDir } from '../setup/test-services';
import { apiKey, clipExists, invite, invitedCoach, makeClip, shareLink } from './fixtures';
import { asUser, cookiesOf, ORIGIN, params, postAuth, signedIn, signIn, signUp, uniqueEmail, type TestUser } from './helpers';

let admin: TestUser;
const savedEnv = { ...process.env };

beforeAll(async () => {
  admin = await signUp({ name: 'admin' });
}, 60_000);
afterEach(() => {
  for (const k of Object.keys(process.env)) if (!(k in savedEnv)) delete process.env[k];
  Object.assign(process.env, savedEnv);
  resetConfigForTests();
});
afterAll(async () => {
  await closeQueue();
  await closeSharedRedis();
  await closeDb();
});

const setEnv = (env: Record<string, string>) => {
  Object.assign(process.env, env);
  resetConfigForTests();
};

describe('passwords and sessions', () => {
  it('stores only a salted scrypt hash, and sets an httpOnly SameSite=Lax session cookie (Secure over https)', async () => {
    const user = await invitedCoach(admin);
    const cred = await (await getDb()).collection('auth_accounts').findOne({ userId: new ObjectId(user.actor.userId), providerId: 'credential' });
    // better-auth's scrypt: 16-byte salt : 64-byte key (N=16384, r=16, p=1 — 32 MiB per hash)
    expect(cred?.password).toMatch(/^[0-9a-f]{32}:[0-9a-f]{128}$/);
    expect(JSON.stringify(await (await getDb()).collection('auth_accounts').find().toArray())).not.toContain(user.password);

    const res = await signIn(user.email, user.password);
    expect(res.status).toBe(200);
    const session = res.headers.getSetCookie().find((c) => c.startsWith('better-auth.session_token='))!;
    expect(session).toMatch(/;\s*HttpOnly/i);
    expect(session).toMatch(/;\s*SameSite=Lax/i);
    expect(session).toMatch(/;\s*Path=\//i);
    expect(session).not.toMatch(/;\s*Secure/i);

    // a script (curl) sends no Origin and no cookie: sign-in works
    const curl = await authPost(
      new Request(`${ORIGIN}/api/auth/sign-in/email`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: user.email, password: user.password }) }),
    );
    expect(curl.status).toBe(200);
    expect(cookiesOf(curl)).toMatch(/better-auth\.session_token=/);

    const https = await authPost(
      new Request('https://coach.example/api/auth/sign-in/email', {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: 'https://coach.example' },
        body: JSON.stringify({ email: user.email, password: user.password }),
      }),
    );
    expect(https.status).toBe(200);
    const secure = https.headers.getSetCookie().find((c) => c.includes('session_token='))!;
    expect(secure).toMatch(/^__Secure-better-auth\.session_token=/);
    expect(secure).toMatch(/;\s*Secure/i);
    expect(secure).toMatch(/;\s*HttpOnly/i);
  });

  it('repeated wrong passwords are refused with 429 and Retry-After, and the right password is refused too while throttled', async () => {
    setEnv({ RATE_LIMIT_SIGNIN_PER_ACCOUNT: '4' });
    const user = await invitedCoach(admin);
    const from = { 'x-forwarded-for': '198.51.100.7' };
    for (let i = 0; i < 4; i++) expect((await signIn(user.email, 'wrong password', from)).status).toBe(401);
    const throttled = await signIn(user.email, 'wrong password', from);
    expect(throttled.status).toBe(429);
    expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThan(60);
    // the right password, even from another address: still refused, no cookie
    const right = await signIn(user.email, user.password, { 'x-forwarded-for': '192.0.2.44' });
    expect(right.status).toBe(429);
    expect(cookiesOf(right)).toBe('');
    // another account is not affected
    const otherUser = await invitedCoach(admin);
    expect((await signIn(otherUser.email, otherUser.password, from)).status).toBe(200);
  });

  it('limits failed sign-ins per address across accounts', async () => {
    setEnv({ RATE_LIMIT_SIGNIN_PER_ADDRESS: '3' });
    const from = { 'x-forwarded-for': '198.51.100.99' };
    for (let i = 0; i < 3; i++) expect((await signIn(uniqueEmail('nobody'), 'guess', from)).status).toBe(401);
    expect((await signIn(uniqueEmail('nobody'), 'guess', from)).status).toBe(429);
    expect((await signIn(admin.email, admin.password, from)).status).toBe(429);
    expect((await signIn(admin.email, admin.password, { 'x-forwarded-for': '198.51.100.100' })).status).toBe(200);
  });
});

describe('sign-up modes', () => {
  const body = (email: string) => ({ email, password: 'long enough pw', name: 'x', role: 'admin' });

  it('invite (default): refused without an invite; an invite works once; nobody chooses their role', async () => {
    expect(getConfig().signup).toBe('invite');
    const refused = await postAuth('/sign-up/email', body(uniqueEmail()));
    expect(refused.status).toBe(403);
    const token = await invite(admin);
    const ok = await postAuth(`/sign-up/email?invite=${token}`, body(uniqueEmail()));
    expect(ok.status).toBe(200);
    const me = await (await meRoute(new Request(`${ORIGIN}/api/me`, { headers: { cookie: cookiesOf(ok) } }))).json();
    expect(me.user.role).toBe('coach');
    expect(me.firstAccount).toBe(false);
    const again = await postAuth(`/sign-up/email?invite=${token}`, body(uniqueEmail()));
    expect(again.status).toBe(403);
    expect(await again.text()).toMatch(/already used|not valid/);
  });

  it('closed refuses even with an invite; open needs none', async () => {
    const token = await invite(admin);
    setEnv({ SIGNUP: 'closed' });
    expect((await postAuth(`/sign-up/email?invite=${token}`, body(uniqueEmail()))).status).toBe(403);
    setEnv({ SIGNUP: 'open' });
    expect((await postAuth('/sign-up/email', body(uniqueEmail()))).status).toBe(200);
  });

  it('sign-ups are rate limited per address', async () => {
    setEnv({ SIGNUP: 'open', RATE_LIMIT_SIGNUP_PER_ADDRESS: '2' });
    const from = { 'x-forwarded-for': '203.0.113.200' };
    expect((await postAuth('/sign-up/email', body(uniqueEmail()), from)).status).toBe(200);
    expect((await postAuth('/sign-up/email', body(uniqueEmail()), from)).status).toBe(200);
    const third = await postAuth('/sign-up/email', body(uniqueEmail()), from);
    expect(third.status).toBe(429);
    expect(third.headers.get('retry-after')).toMatch(/^\d+$/);
  });
});

describe('keys, links and CSRF', () => {
  it('a revoked API key is refused', async () => {
    const user = await invitedCoach(admin);
    const { id, key } = await apiKey(user);
    const withKey = () => listClipsRoute(new Request(`${ORIGIN}/api/clips`, { headers: { authorization: `Bearer ${key}` } }));
    expect((await withKey()).status).toBe(200);
    const stored = JSON.stringify(await (await getDb()).collection('api_keys').find().toArray());
    expect(stored).not.toContain(key); // only its hash
    expect((await revokeKeyRoute(asUser(user, `/api/account/keys/${id}`, { method: 'DELETE' }), params({ keyId: id }))).status).toBe(200);
    expect((await withKey()).status).toBe(401);
    // a wrong key never falls back to the cookie sent with it
    const both = await listClipsRoute(new Request(`${ORIGIN}/api/clips`, { headers: { authorization: `Bearer ${key}`, cookie: user.cookie } }));
    expect(both.status).toBe(401);
  });

  it('revoked and expired share links are refused where the identity is made', async () => {
    const user = await invitedCoach(admin);
    const clip = await makeClip(user.actor.userId);
    const view = (token: string) => getClipRoute(new Request(`${ORIGIN}/api/clips/${clip}`, { headers: { 'x-share-token': token } }), params({ id: clip }));

    const revoked = await shareLink(user, clip, null);
    expect((await view(revoked.token)).status).toBe(200);
    expect(JSON.stringify(await (await getDb()).collection('shares').find().toArray())).not.toContain(revoked.token);
    const res = await revokeShareRoute(asUser(user, `/api/clips/${clip}/shares/${revoked.id}`, { method: 'DELETE' }), params({ id: clip, shareId: revoked.id }));
    expect(res.status).toBe(200);
    expect((await view(revoked.token)).status).toBe(401);
    expect((await actorForShareToken(revoked.token)).reason).toBe('revoked');

    const expiring = await shareLink(user, clip, 1);
    expect((await view(expiring.token)).status).toBe(200);
    await (await getDb()).collection('shares').updateOne({ _id: new ObjectId(expiring.id) }, { $set: { expiresAt: new Date(Date.now() - 1000) } });
    expect((await view(expiring.token)).status).toBe(401);
    expect((await actorForShareToken(expiring.token)).reason).toBe('expired');
    expect((await actorForShareToken('x'.repeat(32))).reason).toBe('unknown');
  });

  it('a cookie-authenticated state change from a foreign Origin (or with no Origin/Referer) is refused with 403', async () => {
    const user = await invitedCoach(admin);
    const clip = await makeClip(user.actor.userId);
    const del = (headers: Record<string, string>) =>
      deleteClipRoute(new Request(`${ORIGIN}/api/clips/${clip}`, { method: 'DELETE', headers: { cookie: user.cookie, ...headers } }), params({ id: clip }));
    const foreign = await del({ origin: 'https://evil.example' });
    expect(foreign.status).toBe(403);
    expect((await foreign.json()).error).toMatch(/Origin/);
    expect((await del({ referer: 'https://evil.example/page' })).status).toBe(403);
    expect((await del({})).status).toBe(403);
    expect(await clipExists(clip)).toBe(true);
    // better-auth's own endpoints refuse a foreign Origin with a cookie as well
    const signOut = await authPost(new Request(`${ORIGIN}/api/auth/sign-out`, { method: 'POST', headers: { cookie: user.cookie, origin: 'https://evil.example', 'content-type': 'application/json' }, body: '{}' }));
    expect(signOut.status).toBe(403);
    // our own origin (or its Referer) passes
    expect((await del({ referer: `${ORIGIN}/clips/${clip}` })).status).toBe(200);
    expect(await clipExists(clip)).toBe(false);
    // the origin is the address the browser used (Host), not the name the server listens on
    const viaLan = await makeClip(user.actor.userId);
    const lan = (origin: string) =>
      deleteClipRoute(
        new Request(`${ORIGIN}/api/clips/${viaLan}`, { method: 'DELETE', headers: { cookie: user.cookie, host: '192.168.1.10:3000', origin } }),
        params({ id: viaLan }),
      );
    expect((await lan(ORIGIN)).status).toBe(403);
    expect((await lan('http://192.168.1.10:3000')).status).toBe(200);
    // an API key is no ambient credential: no Origin needed
    const { key } = await apiKey(user);
    const clip2 = await makeClip(user.actor.userId);
    const byKey = await deleteClipRoute(new Request(`${ORIGIN}/api/clips/${clip2}`, { method: 'DELETE', headers: { authorization: `Bearer ${key}` } }), params({ id: clip2 }));
    expect(byKey.status).toBe(200);
  });
});

describe('uploads: quota, rate limit, re-use within one account', () => {
  it('refuses with 413 saying how much is used, before anything is stored (declared length and streamed bytes)', async () => {
    setEnv({ MAX_STORAGE_BYTES_PER_ACCOUNT: String(3 * 1024 * 1024) });
    const user = await invitedCoach(admin);
    await makeClip(user.actor.userId, 'done', 2 * 1024 * 1024); // 2 MB used of 3 MB
    const big = new Uint8Array(1536 * 1024);
    // declared: Content-Length over what is left
    const declared = new Request(`${ORIGIN}/api/clips`, {
      method: 'POST',
      headers: { 'content-type': 'multipart/form-data; boundary=x', 'content-length': String(big.length + 200), cookie: user.cookie, origin: ORIGIN },
      body: big,
    });
    const a = await uploadRoute(declared);
    expect(a.status).toBe(413);
    expect((await a.json()).error).toMatch(/uses 2\.0 MB of its 3\.0 MB/);
    // streamed, no Content-Length: cut off once it passes what is left
    const b = await uploadRoute(signedIn(multipartRequest({ name: 'big.mp4', chunks: bytesChunks(big) }), user));
    expect(b.status).toBe(413);
    expect((await b.json()).error).toMatch(/Storage quota reached/);
    expect(fs.readdirSync(uploadsDir(getConfig().dataDir))).toEqual([]);
  });

  it('counts uploads per account per hour (429 + Retry-After)', async () => {
    setEnv({ RATE_LIMIT_UPLOADS_PER_HOUR: '2' });
    const user = await invitedCoach(admin);
    const post = () => uploadRoute(asUser(user, '/api/clips', { method: 'POST', body: 'not multipart' }));
    expect((await post()).status).toBe(415);
    expect((await post()).status).toBe(415);
    const third = await post();
    expect(third.status).toBe(429);
    expect(Number(third.headers.get('retry-after'))).toBeGreaterThan(0);
    // another account has its own allowance
    const other = await invitedCoach(admin);
    expect((await uploadRoute(asUser(other, '/api/clips', { method: 'POST', body: 'x' }))).status).toBe(415);
  });
});

describe('deleting an account', { timeout: 120_000 }, () => {
  it('leaves nothing of it in MongoDB, Redis or on disk', async () => {
    const user = await invitedCoach(admin, 'leaving');
    const bystander = await invitedCoach(admin, 'staying');
    const tmp = testTempDir('delete-account');
    // a real upload (its job waits in Redis), a processed clip with frames and files, a link, a key
    const up = await uploadRoute(signedIn(multipartRequest({ name: 'athlete.mp4', chunks: fileChunks(makeVideoFile(tmp, 1)) }), user));
    expect(up.status).toBe(201);
    const uploaded = (await up.json()).id as string;
    expect(await poseQueue().getJob(uploaded)).toBeTruthy();
    const done = await makeClip(user.actor.userId, 'done');
    await shareLink(user, done);
    const { key } = await apiKey(user);
    const keep = await makeClip(bystander.actor.userId, 'done');
    await signIn(user.email, 'a wrong password'); // a rate-limit counter of the account
    const clipIds = [uploaded, done];

    const wrong = await deleteAccountRoute(asUser(user, '/api/account', { method: 'DELETE', body: JSON.stringify({ password: 'nope' }) }));
    expect(wrong.status).toBe(403);
    const res = await deleteAccountRoute(asUser(user, '/api/account', { method: 'DELETE', body: JSON.stringify({ password: user.password }) }));
    expect(res.status, await res.clone().text()).toBe(200);

    const traces = [user.actor.userId, user.email, ...clipIds];
    // MongoDB: no document of any collection mentions the account, its email or its clips
    const db = await getDb();
    for (const { name } of await db.listCollections().toArray()) {
      const text = JSON.stringify(await db.collection(name).find().toArray());
      for (const t of traces) expect(text.includes(t), `${name} still mentions ${t}`).toBe(false);
    }
    // Redis: no key or value
    const redis = sharedRedis();
    const keys = await redis.keys('*');
    for (const k of keys) {
      const type = await redis.type(k);
      const value =
        type === 'string' ? await redis.get(k)
        : type === 'hash' ? JSON.stringify(await redis.hgetall(k))
        : type === 'list' ? JSON.stringify(await redis.lrange(k, 0, -1))
        : type === 'set' ? JSON.stringify(await redis.smembers(k))
        : type === 'zset' ? JSON.stringify(await redis.zrange(k, '0', '-1'))
        : type === 'stream' ? JSON.stringify(await redis.xrange(k, '-', '+'))
        : '';
      for (const t of traces) expect(`${k} ${value}`.includes(t), `Redis ${k} still mentions ${t}`).toBe(false);
    }
    // disk: no clip folder
    for (const id of clipIds) expect(fs.existsSync(clipLayout(getConfig().dataDir, id).dir)).toBe(false);
    expect(fs.readdirSync(path.join(getConfig().dataDir, 'clips'))).toContain(keep);
    // its session and key no longer identify anyone; the bystander keeps everything
    expect((await listClipsRoute(asUser(user, '/api/clips'))).status).toBe(401);
    expect((await listClipsRoute(new Request(`${ORIGIN}/api/clips`, { headers: { authorization: `Bearer ${key}` } }))).status).toBe(401);
    expect(await getClipDoc(keep)).not.toBeNull();
    expect((await signIn(user.email, user.password)).status).toBe(401);
  });
});
