import crypto from 'node:crypto';
import fs from 'node:fs';
import { ObjectId } from 'mongodb';
import { afterAll, describe, expect, it } from 'vitest';
import { GET as meRoute } from '../../app/api/me/route';
import { POST as uploadRoute } from '../../app/api/clips/route';
import { clipsCollection, getClipDoc, updateClip } from '../../lib/clips/repo';
import { closeDb } from '../../lib/db';
import { ensureFrameIndexes } from '../../lib/frames/repo';
import { closeQueue } from '../../lib/queue';
import { closeSharedRedis } from '../../lib/redis';
import { fileChunks, multipartRequest } from '../foundation/helpers';
import { makeClip as makeVideoFile } from '../resilience/helpers';
import { testTempDir } from '../setup/test-services';
import { invitedCoach, makeClip } from './fixtures';
import { cookiesOf, ORIGIN, postAuth, signedIn, uniqueEmail, type TestUser } from './helpers';

/** This file starts on an empty database (test/setup/env.ts): a fresh install. */
let adminCookie = '';
afterAll(async () => {
  await closeQueue();
  await closeSharedRedis();
  await closeDb();
});

describe('the first account and clips from before accounts', () => {
  it('a fresh install says so; of two simultaneous first sign-ups exactly one becomes admin; older clips become the admin’s', async () => {
    const me = await (await meRoute(new Request(`${ORIGIN}/api/me`))).json();
    expect(me).toEqual({ user: null, signup: 'invite', firstAccount: true });
    // a clip uploaded before accounts existed (no owner)
    const legacy = new ObjectId();
    await (await clipsCollection()).insertOne({ _id: legacy, filename: 'old.mp4', status: 'done', sha256: 'x', sizeBytes: 1, createdAt: new Date(), updatedAt: new Date() } as never);

    const body = (email: string) => ({ email, password: 'first account pw', name: 'first' });
    const [a, b] = await Promise.all([postAuth('/sign-up/email', body(uniqueEmail('a'))), postAuth('/sign-up/email', body(uniqueEmail('b')))]);
    const statuses = [a.status, b.status].sort();
    // the loser had no invite: refused (SIGNUP=invite), not a second admin
    expect(statuses).toEqual([200, 403]);
    const winner = a.status === 200 ? a : b;
    adminCookie = cookiesOf(winner);
    const who = await (await meRoute(new Request(`${ORIGIN}/api/me`, { headers: { cookie: cookiesOf(winner) } }))).json();
    expect(who.user.role).toBe('admin');
    expect(who.firstAccount).toBe(false);
    expect((await getClipDoc(legacy.toHexString()))?.ownerId).toBe(who.user.id);
  });
});

describe('re-use of identical uploads stays inside one account', () => {
  it('the same bytes re-use the owner’s earlier results, but not another account’s', async () => {
    const admin = { cookie: adminCookie } as TestUser;
    const owner = await invitedCoach(admin);
    const stranger = await invitedCoach(admin);
    await ensureFrameIndexes(); // re-use copies frame documents with $merge (the worker makes this index at start)
    const file = makeVideoFile(testTempDir('reuse'), 1);
    const sha = crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
    const earlier = await makeClip(owner.actor.userId, 'done');
    await updateClip(earlier, { sha256: sha });

    const up = async (user: typeof owner) => {
      const res = await uploadRoute(signedIn(multipartRequest({ name: 'same.mp4', chunks: fileChunks(file) }), user));
      expect(res.status).toBe(201);
      return res.json();
    };
    const mine = await up(owner);
    expect(mine.status).toBe('done');
    expect(mine.reusedFrom).toBe(earlier);
    const theirs = await up(stranger);
    expect(theirs.status).toBe('queued');
    expect(theirs.reusedFrom).toBeNull();
    expect(theirs.ownerId).toBe(stranger.actor.userId);
  });
});

