import { log } from '../log';
import { findApiKey } from './api-keys';
import { getAuth } from './better-auth';
import { usersCollection, toObjectId, type Role } from './collections';
import { requestOrigin } from './origin';
import { cachedSession } from './session-cache';
import { findShareByToken, type ShareRefusal } from './shares';
import { adoptOrphansAtStartup } from './signup';

/**
 * Who is calling. Established once per request, here, from (in this order):
 *  1. `Authorization: Bearer <api key>`  -> the key's owner (via 'apiKey')
 *  2. the better-auth session cookie     -> the signed-in user (via 'session')
 *  3. a share token (`?share=` or `X-Share-Token`) -> a share viewer of ONE clip, with NO user id, so
 *     no code that reads a user id can ever treat a link holder as the owner. The link's expiry and
 *     revocation are checked here, not in any one endpoint.
 * Anything else (including a wrong key or a refused link) is anonymous.
 */
export type UserActor = { kind: 'user'; userId: string; email: string; name: string; role: Role; via: 'session' | 'apiKey' };
export type ShareActor = { kind: 'share'; linkId: string; clipId: string };
export type AnonymousActor = { kind: 'anonymous' };
export type Actor = UserActor | ShareActor | AnonymousActor;

export const ANONYMOUS: AnonymousActor = { kind: 'anonymous' };

let startupDone: Promise<void> | null = null;
function atStartup(): Promise<void> {
  startupDone ??= adoptOrphansAtStartup().catch((err) => {
    startupDone = null; // try again on a later request (e.g. MongoDB was down)
    log.warn('auth.startup-adoption-failed', { error: err });
  });
  return startupDone;
}

export async function authenticate(request: Request): Promise<Actor> {
  await atStartup();
  const authz = request.headers.get('authorization');
  if (authz) {
    const m = /^Bearer\s+(\S+)$/i.exec(authz.trim());
    const key = m ? await findApiKey(m[1]) : null;
    const user = key ? await userActor(key.userId, 'apiKey') : null;
    // a wrong or revoked key never falls through to a cookie or a share link
    return user ?? ANONYMOUS;
  }
  const session = await sessionActor(request);
  if (session) return session;
  const url = new URL(request.url);
  const token = request.headers.get('x-share-token') ?? url.searchParams.get('share');
  if (token) return (await actorForShareToken(token)).actor;
  return ANONYMOUS;
}

/** For the share page (/s/[token]) and authenticate(): the share actor, or anonymous with the reason. */
export async function actorForShareToken(token: string): Promise<{ actor: ShareActor | AnonymousActor; reason: ShareRefusal | null }> {
  const found = await findShareByToken(token);
  if ('reason' in found) return { actor: ANONYMOUS, reason: found.reason };
  return { actor: { kind: 'share', linkId: found.share._id.toHexString(), clipId: found.share.clipId }, reason: null };
}

const SESSION_COOKIE = /(?:^|;\s*)((?:__Secure-)?better-auth\.session_token=[^;]*)/;

async function sessionActor(request: Request): Promise<UserActor | null> {
  const cookie = request.headers.get('cookie');
  const token = cookie ? SESSION_COOKIE.exec(cookie)?.[1] : undefined;
  if (!token) return null;
  const origin = requestOrigin(request);
  // remembered for a few seconds per process (lib/auth/session-cache.ts): one lookup per burst of requests
  return cachedSession(`${origin} ${token}`, async () => {
    const auth = await getAuth(origin);
    const found = await auth.api.getSession({ headers: request.headers, query: { disableRefresh: true } }).catch((err) => {
      // better-auth wraps a database failure in a 500 APIError: surface the cause (e.g. MongoDB unreachable)
      throw (err as { cause?: unknown })?.cause ?? err;
    });
    if (!found) return null;
    const u = found.user as typeof found.user & { role?: Role };
    return { kind: 'user', userId: u.id, email: u.email, name: u.name, role: u.role === 'admin' ? 'admin' : 'coach', via: 'session' };
  });
}

async function userActor(userId: string, via: UserActor['via']): Promise<UserActor | null> {
  const _id = toObjectId(userId);
  const u = _id ? await (await usersCollection()).findOne({ _id }) : null;
  if (!u) return null;
  return { kind: 'user', userId, email: u.email, name: u.name, role: u.role === 'admin' ? 'admin' : 'coach', via };
}
