import { ObjectId } from 'mongodb';
import { HttpError } from '../upload';
import { sharesCollection, toObjectId, type ShareDoc } from './collections';
import { hashToken, newToken, plausibleToken } from './tokens';

/** Read-only links to one clip for people without an account (athletes, parents). */

export interface ShareView {
  id: string;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);
export function toShareView(s: ShareDoc): ShareView {
  return { id: s._id.toHexString(), createdAt: s.createdAt.toISOString(), expiresAt: iso(s.expiresAt), lastUsedAt: iso(s.lastUsedAt), revokedAt: iso(s.revokedAt) };
}

/** `expiresInDays`: a whole number from 1 to 90, or null for a link that never expires. */
export function parseExpiresInDays(value: unknown): number | null {
  if (value === null) return null;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 90) {
    throw new HttpError(400, 'expiresInDays must be a whole number of days from 1 to 90, or null for a link that never expires.');
  }
  return value;
}

export async function createShare(clipId: string, ownerId: string, expiresInDays: number | null): Promise<{ share: ShareDoc; token: string }> {
  const token = newToken(24);
  const now = new Date();
  const share: ShareDoc = {
    _id: new ObjectId(),
    clipId,
    ownerId,
    hash: hashToken(token),
    createdAt: now,
    expiresAt: expiresInDays === null ? null : new Date(now.getTime() + expiresInDays * 86_400_000),
    lastUsedAt: null,
    revokedAt: null,
  };
  await (await sharesCollection()).insertOne(share);
  return { share, token };
}

export async function listShares(clipId: string): Promise<ShareView[]> {
  const docs = await (await sharesCollection()).find({ clipId }, { sort: { createdAt: -1 } }).toArray();
  return docs.map(toShareView);
}

/** Revokes one link of this clip; 404 when the clip has no such link. */
export async function revokeShare(clipId: string, shareId: string): Promise<ShareView> {
  const _id = toObjectId(shareId);
  const doc = _id
    ? await (await sharesCollection()).findOneAndUpdate({ _id, clipId }, [{ $set: { revokedAt: { $ifNull: ['$revokedAt', '$$NOW'] } } }], { returnDocument: 'after' })
    : null;
  if (!doc) throw new HttpError(404, 'No such share link.');
  return toShareView(doc);
}

export type ShareRefusal = 'expired' | 'revoked' | 'unknown';

/** The link a token names, with every limit of the link checked here (expiry, revocation). */
export async function findShareByToken(token: string): Promise<{ share: ShareDoc } | { reason: ShareRefusal }> {
  if (!plausibleToken(token)) return { reason: 'unknown' };
  const shares = await sharesCollection();
  const share = await shares.findOne({ hash: hashToken(token) });
  if (!share) return { reason: 'unknown' };
  if (share.revokedAt) return { reason: 'revoked' };
  if (share.expiresAt && share.expiresAt.getTime() <= Date.now()) return { reason: 'expired' };
  // "last used" to the minute: no write for every range request of a video
  if (!share.lastUsedAt || Date.now() - share.lastUsedAt.getTime() > 60_000) {
    await shares.updateOne({ _id: share._id }, { $set: { lastUsedAt: new Date() } });
  }
  return { share };
}
