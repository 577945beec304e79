import { ObjectId, type Collection } from 'mongodb';
import { getDb } from '../db';

/**
 * MongoDB collections of the accounts feature. better-auth owns `users`, `sessions`, `auth_accounts`
 * (the password hash lives here) and `auth_verifications`; the rest are ours. Every secret we store
 * is a SHA-256 hash (lib/auth/tokens.ts); better-auth keeps session tokens in `sessions` itself.
 */
export const AUTH_MODELS = {
  user: 'users',
  session: 'sessions',
  account: 'auth_accounts',
  verification: 'auth_verifications',
} as const;

export type Role = 'admin' | 'coach';

/** A user as better-auth's MongoDB adapter stores it (ids are ObjectIds; `role` is our additional field). */
export interface UserDoc {
  _id: ObjectId;
  email: string;
  name: string;
  role?: Role;
  emailVerified: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export interface ApiKeyDoc {
  _id: ObjectId;
  userId: string;
  name: string;
  /** the first characters of the key, to tell keys apart in a list */
  prefix: string;
  hash: string;
  createdAt: Date;
  lastUsedAt: Date | null;
}

export interface ShareDoc {
  _id: ObjectId;
  clipId: string;
  ownerId: string;
  hash: string;
  createdAt: Date;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

export interface InviteDoc {
  _id: ObjectId;
  hash: string;
  email: string | null;
  createdBy: string;
  createdAt: Date;
  expiresAt: Date;
  usedAt: Date | null;
  usedBy: string | null;
}

/** One-document facts about the install, e.g. `{_id: 'first-admin', userId}` claimed once. */
export interface MetaDoc {
  _id: string;
  userId?: string;
  at?: Date;
}

export async function usersCollection(): Promise<Collection<UserDoc>> {
  return (await getDb()).collection<UserDoc>(AUTH_MODELS.user);
}
export async function apiKeysCollection(): Promise<Collection<ApiKeyDoc>> {
  return (await getDb()).collection<ApiKeyDoc>('api_keys');
}
export async function sharesCollection(): Promise<Collection<ShareDoc>> {
  return (await getDb()).collection<ShareDoc>('shares');
}
export async function invitesCollection(): Promise<Collection<InviteDoc>> {
  return (await getDb()).collection<InviteDoc>('invites');
}
export async function metaCollection(): Promise<Collection<MetaDoc>> {
  return (await getDb()).collection<MetaDoc>('auth_meta');
}

let indexed: Promise<void> | null = null;
/** Unique hashes (a lookup is one index hit) and per-owner lists; once per process. */
export function ensureAuthIndexes(): Promise<void> {
  indexed ??= (async () => {
    // one after another: no burst of extra pool connections for a one-time job
    await (await apiKeysCollection()).createIndexes([{ key: { hash: 1 }, unique: true }, { key: { userId: 1 } }]);
    await (await sharesCollection()).createIndexes([{ key: { hash: 1 }, unique: true }, { key: { clipId: 1 } }, { key: { ownerId: 1 } }]);
    await (await invitesCollection()).createIndexes([{ key: { hash: 1 }, unique: true }]);
    await (await usersCollection()).createIndexes([{ key: { email: 1 }, unique: true }]);
  })().catch((err) => {
    indexed = null;
    throw err;
  });
  return indexed;
}

export function toObjectId(id: string): ObjectId | null {
  return /^[0-9a-f]{24}$/.test(id) ? new ObjectId(id) : null;
}
