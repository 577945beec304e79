import { afterAll, describe, expect, it } from 'vitest';
import { authenticate } from '../../lib/auth/identity';
import { closeDb, getDb } from '../../lib/db';
import { closeSharedRedis } from '../../lib/redis';
import { asUser, cookiesOf, postAuth, signIn, signUp } from './helpers';

/**
 * lib/auth/session-cache.ts: a session found in MongoDB is remembered for SESSION_CACHE_MS per process;
 * a state-changing request through route() (here: sign-out) empties the memory at once; 0 turns it off.
 */
afterAll(async () => {
  delete process.env.SESSION_CACHE_MS;
  await closeSharedRedis();
  await closeDb();
});

const who = async (cookie: string) => (await authenticate(asUser({ cookie }, '/api/me'))).kind;

describe('session memory', () => {
  it('remembers a session for a few seconds, forgets it after a state change, and can be turned off', async () => {
    const user = await signUp();
    expect(await who(user.cookie)).toBe('user');
    const db = await getDb();
    // the session ends behind this process's back (e.g. signed out on another web app)
    await db.collection('sessions').deleteMany({});
    expect(await who(user.cookie)).toBe('user'); // still remembered (at most SESSION_CACHE_MS)

    // any state-changing request through route() in this process empties the memory
    const out = await postAuth('/sign-out', {}, { cookie: user.cookie });
    expect(out.status).toBeLessThan(500);
    expect(await who(user.cookie)).toBe('anonymous');

    process.env.SESSION_CACHE_MS = '0';
    const again = cookiesOf(await signIn(user.email, user.password));
    expect(await who(again)).toBe('user');
    await db.collection('sessions').deleteMany({});
    expect(await who(again)).toBe('anonymous');
  });
});
