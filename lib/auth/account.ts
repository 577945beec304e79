import { verifyPassword } from 'better-auth/crypto';
import { getConfig } from '../config';
import { clipsCollection } from '../clips/repo';
import { removeClip } from '../clips/service';
import { getDb } from '../db';
import { log } from '../log';
import { POSE_QUEUE } from '../queue';
import { sharedRedis } from '../redis';
import { HttpError } from '../upload';
import { apiKeysCollection, AUTH_MODELS, invitesCollection, metaCollection, sharesCollection, toObjectId, usersCollection } from './collections';
import type { Actor, UserActor } from './identity';
import { forgetLimits, signInAllowed, signInFailed } from './limits';
import { hasAnyUser } from './signup';

/** GET /api/me */
export async function accountSummary(actor: Actor) {
  const user = actor.kind === 'user' ? { id: actor.userId, email: actor.email, name: actor.name, role: actor.role } : null;
  return { user, signup: getConfig().signup, firstAccount: !(await hasAnyUser()) };
}

/** The stored password hash of a user (better-auth's credential account). */
async function passwordHash(userId: string): Promise<string | null> {
  const db = await getDb();
  const _id = toObjectId(userId);
  const acc = await db
    .collection<{ userId: unknown; providerId: string; password?: string }>(AUTH_MODELS.account)
    .findOne({ userId: { $in: [_id, userId] }, providerId: 'credential' });
  return acc?.password ?? null;
}

/**
 * DELETE /api/account: after the password is confirmed, removes everything of the account: each clip
 * (its job in Redis, frame documents, files on disk, share links), the account's API keys, share links,
 * unused invites it created, sessions, password, the user, and its rate-limit counters. Clips go first:
 * when Redis is down the clip removal refuses (503) and the account stays, to be deleted again later.
 */
export async function deleteAccount(actor: UserActor, password: unknown, address = 'account-delete'): Promise<void> {
  if (typeof password !== 'string' || !password) throw new HttpError(400, 'Confirm with your password: JSON {"password": "..."}.');
  await signInAllowed(actor.email.toLowerCase(), address);
  const hash = await passwordHash(actor.userId);
  if (!hash || !(await verifyPassword({ hash, password }))) {
    await signInFailed(actor.email.toLowerCase(), address);
    throw new HttpError(403, 'The password is not right; the account was not deleted.');
  }
  const clips = await (await clipsCollection()).find({ ownerId: actor.userId }, { projection: { _id: 1 } }).toArray();
  const clipIds = clips.map((c) => c._id.toHexString());
  for (const id of clipIds) await removeClip(id).catch((err) => {
    if (err instanceof HttpError && err.status === 404) return; // removed meanwhile
    throw err;
  });
  await purgeQueueEvents(clipIds);
  const db = await getDb();
  const uid = toObjectId(actor.userId);
  const byUser = { userId: { $in: [uid, actor.userId] } };
  await (await sharesCollection()).deleteMany({ ownerId: actor.userId });
  await (await apiKeysCollection()).deleteMany({ userId: actor.userId });
  const invites = await invitesCollection();
  await invites.deleteMany({ createdBy: actor.userId, usedAt: null });
  // the admin's record of a used invite keeps that it was used, not by whom
  await invites.updateMany({ usedBy: actor.email }, { $set: { usedBy: null } });
  await invites.updateMany({ email: actor.email }, { $set: { email: null } });
  await db.collection(AUTH_MODELS.session).deleteMany(byUser);
  await db.collection(AUTH_MODELS.account).deleteMany(byUser);
  await db.collection(AUTH_MODELS.verification).deleteMany({ identifier: { $regex: `^.*${escapeRegex(actor.email)}.*$`, $options: 'i' } });
  await (await usersCollection()).deleteOne({ _id: uid! });
  await forgetLimits(actor.userId, actor.email);
  // the last account gone: the next sign-up is a fresh install's first account (admin) again
  if (!(await hasAnyUser())) await (await metaCollection()).deleteOne({ _id: 'first-admin' });
  else await (await metaCollection()).updateOne({ _id: 'first-admin', userId: actor.userId }, { $unset: { userId: '' } });
  log.info('account.deleted', { userId: actor.userId, clips: clipIds.length });
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * BullMQ keeps a capped event stream per queue (`bull:pose:events`) whose entries name job ids, which
 * are clip ids: the deleted clips' entries go too, so Redis keeps no trace of them.
 */
async function purgeQueueEvents(clipIds: string[]): Promise<void> {
  if (!clipIds.length) return;
  const ids = new Set(clipIds);
  const redis = sharedRedis();
  const key = `bull:${POSE_QUEUE}:events`;
  let start = '-';
  for (;;) {
    const entries = (await redis.xrange(key, start, '+', 'COUNT', 1000)) as [string, string[]][];
    if (!entries.length) break;
    const doomed = entries.filter(([, fields]) => fields.some((f) => ids.has(f))).map(([id]) => id);
    if (doomed.length) await redis.xdel(key, ...doomed);
    if (entries.length < 1000) break;
    start = `(${entries[entries.length - 1][0]}`;
  }
}
