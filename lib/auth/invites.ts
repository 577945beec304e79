import { ObjectId } from 'mongodb';
import { HttpError } from '../upload';
import { invitesCollection, toObjectId, type InviteDoc } from './collections';
import { hashToken, newToken } from './tokens';

/** Single-use invite links an admin hands out (SIGNUP=invite); consumed in lib/auth/signup.ts. */
export const INVITE_DAYS = 7;

export interface InviteView {
  id: string;
  createdAt: string;
  expiresAt: string;
  usedAt: string | null;
  email?: string;
}

export async function createInvite(createdBy: string, email: unknown): Promise<{ invite: InviteDoc; token: string }> {
  if (email !== undefined && email !== null && (typeof email !== 'string' || email.length > 200 || (email.trim() && !/^[^\s@]+@[^\s@]+$/.test(email.trim())))) {
    throw new HttpError(400, 'email, when given, must be an email address (it is a note of whom the invite is for).');
  }
  const token = newToken(24);
  const now = new Date();
  const invite: InviteDoc = {
    _id: new ObjectId(),
    hash: hashToken(token),
    email: typeof email === 'string' && email.trim() ? email.trim() : null,
    createdBy,
    createdAt: now,
    expiresAt: new Date(now.getTime() + INVITE_DAYS * 86_400_000),
    usedAt: null,
    usedBy: null,
  };
  await (await invitesCollection()).insertOne(invite);
  return { invite, token };
}

export async function listInvites(): Promise<InviteView[]> {
  const docs = await (await invitesCollection()).find({}, { sort: { createdAt: -1 }, limit: 500 }).toArray();
  return docs.map((d) => ({
    id: d._id.toHexString(),
    createdAt: d.createdAt.toISOString(),
    expiresAt: d.expiresAt.toISOString(),
    usedAt: d.usedAt?.toISOString() ?? null,
    ...(d.email ? { email: d.email } : {}),
  }));
}

export async function deleteInvite(id: string): Promise<void> {
  const _id = toObjectId(id);
  const res = _id ? await (await invitesCollection()).deleteOne({ _id }) : null;
  if (!res?.deletedCount) throw new HttpError(404, 'No such invite.');
}
